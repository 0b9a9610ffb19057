DROP INDEX `ledger_entries_member_idx`;--> statement-breakpoint
CREATE INDEX `ledger_entries_member_idx` ON `ledger_entries` (`member_id`,`created_at`,`brand_id`,`amount`);