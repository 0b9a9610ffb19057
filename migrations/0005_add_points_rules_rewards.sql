CREATE TABLE `job_runs` (
	`job` text NOT NULL,
	`brand_id` integer NOT NULL,
	`period` text NOT NULL,
	`at` integer NOT NULL,
	`detail` text,
	PRIMARY KEY(`job`, `brand_id`, `period`)
);
--> statement-breakpoint
CREATE TABLE `member_tiers` (
	`member_id` integer PRIMARY KEY NOT NULL,
	`brand_id` integer NOT NULL,
	`tier_id` integer,
	`since` integer NOT NULL,
	`reviewed_at` integer
);
--> statement-breakpoint
CREATE TABLE `point_settings` (
	`brand_id` integer PRIMARY KEY NOT NULL,
	`expiry_months` integer,
	`daily_cap` integer,
	`weekly_cap` integer,
	`tier_window_days` integer DEFAULT 365 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `privacy_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `privacy_requests_brand_idx` ON `privacy_requests` (`brand_id`,`at`);--> statement-breakpoint
CREATE TABLE `redemptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`reward_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`tx_id` integer NOT NULL,
	`reversal_tx_id` integer,
	`reward_code` text NOT NULL,
	`points` integer NOT NULL,
	`status` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`cancelled_at` integer,
	FOREIGN KEY (`reward_id`) REFERENCES `rewards`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`tx_id`) REFERENCES `ledger_transactions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `redemptions_code_uq` ON `redemptions` (`reward_code`);--> statement-breakpoint
CREATE UNIQUE INDEX `redemptions_idempotency_uq` ON `redemptions` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `redemptions_member_idx` ON `redemptions` (`member_id`);--> statement-breakpoint
CREATE TABLE `rewards` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`points_price` integer NOT NULL,
	`stock` integer,
	`per_member_limit` integer,
	`available_from` integer,
	`available_until` integer,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rewards_brand_idx` ON `rewards` (`brand_id`);--> statement-breakpoint
CREATE TABLE `tiers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`brand_id` integer NOT NULL,
	`name` text NOT NULL,
	`threshold` integer NOT NULL,
	`multiplier_pct` integer DEFAULT 100 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tiers_brand_name_uq` ON `tiers` (`brand_id`,`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `tiers_brand_threshold_uq` ON `tiers` (`brand_id`,`threshold`);--> statement-breakpoint
ALTER TABLE `ledger_entries` ADD `expires_at` integer;