CREATE TABLE `scans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer,
	`code_id` integer,
	`token_hash` text,
	`device_id` text NOT NULL,
	`ip_prefix` text NOT NULL,
	`user_agent` text NOT NULL,
	`member_id` integer,
	`verdict` text NOT NULL,
	`counted` integer NOT NULL,
	`flag` text,
	`consent` text,
	`lat` real,
	`lon` real,
	`accuracy_m` real,
	`location_source` text,
	`located_at` integer,
	`region_code` text,
	`place_zh` text,
	`place_en` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `scans_code_at_idx` ON `scans` (`code_id`,`at`);--> statement-breakpoint
CREATE INDEX `scans_brand_at_idx` ON `scans` (`brand_id`,`at`);--> statement-breakpoint
CREATE INDEX `scans_located_idx` ON `scans` (`located_at`);