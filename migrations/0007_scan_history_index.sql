DROP INDEX `scans_code_at_idx`;--> statement-breakpoint
CREATE INDEX `scans_code_history_idx` ON `scans` (`code_id`,`at`,`id`,`counted`,`device_id`,`flag`);