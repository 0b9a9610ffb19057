CREATE TABLE `brand_regions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`polygons` text NOT NULL,
	`min_lon` real NOT NULL,
	`min_lat` real NOT NULL,
	`max_lon` real NOT NULL,
	`max_lat` real NOT NULL,
	`vertex_count` integer NOT NULL,
	`created_by_staff_id` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `brand_regions_brand_idx` ON `brand_regions` (`brand_id`);--> statement-breakpoint
CREATE TABLE `channel_settings` (
	`brand_id` integer PRIMARY KEY NOT NULL,
	`diverted_policy` text DEFAULT 'award' NOT NULL,
	`max_devices_per_code` integer DEFAULT 3 NOT NULL,
	`bulk_claim_count` integer DEFAULT 20 NOT NULL,
	`bulk_claim_window_minutes` integer DEFAULT 60 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `distributor_regions` (
	`distributor_id` integer NOT NULL,
	`brand_id` integer NOT NULL,
	`region_code` text NOT NULL,
	PRIMARY KEY(`distributor_id`, `region_code`),
	FOREIGN KEY (`distributor_id`) REFERENCES `distributors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `distributor_regions_brand_idx` ON `distributor_regions` (`brand_id`,`region_code`);--> statement-breakpoint
CREATE TABLE `distributors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`contact_name` text,
	`contact_phone` text,
	`contact_email` text,
	`status` text DEFAULT 'active' NOT NULL,
	`notes` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `distributors_brand_code_uq` ON `distributors` (`brand_id`,`code`);--> statement-breakpoint
CREATE TABLE `diversion_cases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`distributor_id` integer,
	`product_id` integer NOT NULL,
	`region_code` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`signal_count` integer DEFAULT 0 NOT NULL,
	`max_confidence` real DEFAULT 0 NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`decided_by_staff_id` integer,
	`decided_at` integer,
	`note` text,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`distributor_id`) REFERENCES `distributors`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`decided_by_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `diversion_cases_open_uq` ON `diversion_cases` (`brand_id`,coalesce("distributor_id", 0),`product_id`,`region_code`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `diversion_cases_brand_idx` ON `diversion_cases` (`brand_id`,`status`,`last_at`);--> statement-breakpoint
CREATE INDEX `diversion_cases_brand_last_idx` ON `diversion_cases` (`brand_id`,`last_at`);--> statement-breakpoint
CREATE INDEX `diversion_cases_distributor_idx` ON `diversion_cases` (`distributor_id`,`last_at`);--> statement-breakpoint
CREATE TABLE `diversion_signals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`case_id` integer NOT NULL,
	`kind` text NOT NULL,
	`scan_id` integer,
	`code_id` integer NOT NULL,
	`distributor_id` integer,
	`product_id` integer NOT NULL,
	`batch_id` integer NOT NULL,
	`shipment_id` integer,
	`region_code` text NOT NULL,
	`confidence` real NOT NULL,
	`distance_km` real,
	`reasons` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `diversion_cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `diversion_signals_scan_kind_uq` ON `diversion_signals` (`scan_id`,`kind`);--> statement-breakpoint
CREATE INDEX `diversion_signals_case_idx` ON `diversion_signals` (`case_id`,`at`);--> statement-breakpoint
CREATE INDEX `diversion_signals_brand_at_idx` ON `diversion_signals` (`brand_id`,`at`);--> statement-breakpoint
CREATE INDEX `diversion_signals_report_idx` ON `diversion_signals` (`brand_id`,`kind`,`at`,`case_id`,`scan_id`);--> statement-breakpoint
CREATE INDEX `diversion_signals_code_idx` ON `diversion_signals` (`code_id`);--> statement-breakpoint
CREATE TABLE `held_claims` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`code_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`scan_id` integer NOT NULL,
	`case_id` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	`status` text DEFAULT 'held' NOT NULL,
	`claim_id` integer,
	`created_at` integer NOT NULL,
	`decided_at` integer,
	FOREIGN KEY (`case_id`) REFERENCES `diversion_cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `held_claims_code_held_uq` ON `held_claims` (`code_id`) WHERE status = 'held';--> statement-breakpoint
CREATE UNIQUE INDEX `held_claims_idempotency_uq` ON `held_claims` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `held_claims_case_idx` ON `held_claims` (`case_id`);--> statement-breakpoint
CREATE INDEX `held_claims_member_idx` ON `held_claims` (`member_id`);--> statement-breakpoint
CREATE TABLE `shipments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`distributor_id` integer NOT NULL,
	`kind` text NOT NULL,
	`batch_id` integer,
	`seq_from` integer,
	`seq_to` integer,
	`code_count` integer NOT NULL,
	`rebound_count` integer DEFAULT 0 NOT NULL,
	`reason` text,
	`note` text,
	`actor_staff_id` integer,
	`actor_label` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`brand_id`) REFERENCES `brands`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`distributor_id`) REFERENCES `distributors`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`batch_id`) REFERENCES `batches`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`actor_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `shipments_brand_idx` ON `shipments` (`brand_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `shipments_distributor_idx` ON `shipments` (`distributor_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `staff_distributors` (
	`staff_id` integer NOT NULL,
	`distributor_id` integer NOT NULL,
	`brand_id` integer NOT NULL,
	PRIMARY KEY(`staff_id`, `distributor_id`),
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`distributor_id`) REFERENCES `distributors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `staff_distributors_distributor_idx` ON `staff_distributors` (`distributor_id`);--> statement-breakpoint
CREATE TABLE `birthday_bonuses` (
	`member_id` integer NOT NULL,
	`year` integer NOT NULL,
	`brand_id` integer NOT NULL,
	`tx_id` integer NOT NULL,
	`points` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`member_id`, `year`)
);
--> statement-breakpoint
CREATE TABLE `churn_warnings` (
	`member_id` integer PRIMARY KEY NOT NULL,
	`brand_id` integer NOT NULL,
	`usual_interval_days` real NOT NULL,
	`days_since_last_scan` real NOT NULL,
	`last_scan_at` integer NOT NULL,
	`computed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `churn_warnings_brand_idx` ON `churn_warnings` (`brand_id`,`days_since_last_scan`);--> statement-breakpoint
CREATE TABLE `daily_stats` (
	`brand_id` integer NOT NULL,
	`day` text NOT NULL,
	`scans` integer NOT NULL,
	`unique_scanners` integer NOT NULL,
	`sign_ins` integer NOT NULL,
	`claims` integer NOT NULL,
	`redemptions` integer NOT NULL,
	`new_members` integer NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`brand_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `member_activity` (
	`member_id` integer PRIMARY KEY NOT NULL,
	`brand_id` integer NOT NULL,
	`scan_count` integer DEFAULT 0 NOT NULL,
	`claim_count` integer DEFAULT 0 NOT NULL,
	`first_scan_at` integer,
	`last_scan_at` integer,
	`last_claim_at` integer,
	`points_earned` integer DEFAULT 0 NOT NULL,
	`balance` integer DEFAULT 0 NOT NULL,
	`usual_interval_days` real,
	`preferred_region` text,
	`preferred_product_id` integer,
	`preferred_category` text,
	`rfm_r` integer,
	`rfm_f` integer,
	`rfm_m` integer,
	`lifecycle` text,
	`computed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `member_activity_brand_last_scan_idx` ON `member_activity` (`brand_id`,`last_scan_at`);--> statement-breakpoint
CREATE INDEX `member_activity_brand_lifecycle_idx` ON `member_activity` (`brand_id`,`lifecycle`);--> statement-breakpoint
CREATE TABLE `member_merges` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`from_member_id` integer NOT NULL,
	`into_member_id` integer NOT NULL,
	`tx_id` integer,
	`points_moved` integer NOT NULL,
	`actor_staff_id` integer,
	`at` integer NOT NULL,
	FOREIGN KEY (`actor_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `member_merges_brand_idx` ON `member_merges` (`brand_id`,`at`);--> statement-breakpoint
CREATE TABLE `member_tags` (
	`member_id` integer NOT NULL,
	`brand_id` integer NOT NULL,
	`tag` text NOT NULL,
	`source` text NOT NULL,
	`reason` text NOT NULL,
	`created_by_staff_id` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`member_id`, `tag`),
	FOREIGN KEY (`created_by_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `member_tags_brand_tag_idx` ON `member_tags` (`brand_id`,`tag`);--> statement-breakpoint
CREATE TABLE `programme_settings` (
	`brand_id` integer PRIMARY KEY NOT NULL,
	`new_days` integer DEFAULT 30 NOT NULL,
	`active_days` integer DEFAULT 90 NOT NULL,
	`churn_days` integer DEFAULT 365 NOT NULL,
	`birthday_points` integer DEFAULT 0 NOT NULL,
	`churn_factor` real DEFAULT 3 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `segments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`filter` text NOT NULL,
	`created_by_staff_id` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`created_by_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `segments_brand_idx` ON `segments` (`brand_id`);--> statement-breakpoint
DROP INDEX `scans_located_idx`;--> statement-breakpoint
CREATE INDEX `scans_member_at_idx` ON `scans` (`member_id`,`at`,`code_id`,`region_code`,`counted`,`brand_id`) WHERE member_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `scans_located_idx` ON `scans` (`located_at`) WHERE lat IS NOT NULL;--> statement-breakpoint
ALTER TABLE `codes` ADD `distributor_id` integer;--> statement-breakpoint
ALTER TABLE `codes` ADD `shipment_id` integer;--> statement-breakpoint
ALTER TABLE `members` ADD `phone_hash` text;--> statement-breakpoint
ALTER TABLE `members` ADD `email_hash` text;--> statement-breakpoint
ALTER TABLE `members` ADD `phone_enc` text;--> statement-breakpoint
ALTER TABLE `members` ADD `email_enc` text;--> statement-breakpoint
ALTER TABLE `members` ADD `phone_hint` text;--> statement-breakpoint
ALTER TABLE `members` ADD `email_hint` text;--> statement-breakpoint
ALTER TABLE `members` ADD `merged_into_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `members_brand_phone_hash_uq` ON `members` (`brand_id`,`phone_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `members_brand_email_hash_uq` ON `members` (`brand_id`,`email_hash`);--> statement-breakpoint
CREATE INDEX `members_brand_created_idx` ON `members` (`brand_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `products` ADD `category` text;