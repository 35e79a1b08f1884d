-- Star schema of the MySQL / MariaDB warehouse. Idempotent: the load-warehouse step runs it before
-- every load. Keep the columns in step with sql/sqlite and sql/postgres.
--
-- MySQL specifics:
--   * There is no CREATE INDEX IF NOT EXISTS in MySQL, so every index is declared inside its
--     CREATE TABLE (InnoDB also indexes each foreign key column by itself).
--   * Tables use utf8mb4 with the binary collation utf8mb4_bin, so natural keys that differ only in
--     case ('c1' and 'C1') stay distinct, as they are in the lake, and text sorts by code point,
--     as in SQLite. utf8mb4_bin still ignores trailing spaces when comparing.
--   * transaction_timestamp is DATETIME(3) holding UTC (the loader writes UTC; DATETIME has no zone).
--   * BOOLEAN is TINYINT(1): 0 or 1.

CREATE TABLE IF NOT EXISTS dim_date (
  date_key      INT          NOT NULL,
  full_date     DATE         NULL,
  day           INT          NULL,
  day_of_week   INT          NULL,
  day_name      VARCHAR(16)  NULL,
  week_of_year  INT          NULL,
  month         INT          NULL,
  month_name    VARCHAR(16)  NULL,
  quarter       INT          NULL,
  year          INT          NULL,
  is_weekend    TINYINT(1)   NULL,
  is_holiday    TINYINT(1)   NULL,
  fiscal_year   INT          NULL,
  fiscal_quarter INT         NULL,
  CONSTRAINT pk_dim_date PRIMARY KEY (date_key),
  CONSTRAINT uq_dim_date_full_date UNIQUE KEY (full_date),
  INDEX ix_dim_date_year_month (year, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS dim_customer (
  customer_key  INT          NOT NULL,
  customer_id   VARCHAR(255) NOT NULL,
  first_name    VARCHAR(255) NULL,
  last_name     VARCHAR(255) NULL,
  email         VARCHAR(255) NULL,
  phone         VARCHAR(255) NULL,
  address       VARCHAR(255) NULL,
  city          VARCHAR(255) NULL,
  state         VARCHAR(255) NULL,
  zip_code      VARCHAR(255) NULL,
  country       VARCHAR(255) NULL,
  valid_from    DATE         NOT NULL,
  valid_to      DATE         NOT NULL,
  is_current    TINYINT(1)   NOT NULL,
  is_inferred   TINYINT(1)   NOT NULL,
  CONSTRAINT pk_dim_customer PRIMARY KEY (customer_key),
  CONSTRAINT uq_dim_customer_version UNIQUE KEY (customer_id, valid_from),
  INDEX ix_dim_customer_current (is_current, customer_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS dim_product (
  product_key   INT           NOT NULL,
  product_id    VARCHAR(255)  NOT NULL,
  product_name  VARCHAR(255)  NULL,
  category      VARCHAR(255)  NULL,
  subcategory   VARCHAR(255)  NULL,
  brand         VARCHAR(255)  NULL,
  unit_cost     DECIMAL(12,2) NULL,
  unit_price    DECIMAL(12,2) NULL,
  is_inferred   TINYINT(1)    NOT NULL,
  CONSTRAINT pk_dim_product PRIMARY KEY (product_key),
  CONSTRAINT uq_dim_product_product_id UNIQUE KEY (product_id),
  INDEX ix_dim_product_category (category, subcategory)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS dim_location (
  location_key  INT          NOT NULL,
  location_id   VARCHAR(255) NOT NULL,
  store_name    VARCHAR(255) NULL,
  city          VARCHAR(255) NULL,
  state         VARCHAR(255) NULL,
  zip_code      VARCHAR(255) NULL,
  country       VARCHAR(255) NULL,
  region        VARCHAR(255) NULL,
  is_inferred   TINYINT(1)   NOT NULL,
  CONSTRAINT pk_dim_location PRIMARY KEY (location_key),
  CONSTRAINT uq_dim_location_location_id UNIQUE KEY (location_id),
  INDEX ix_dim_location_region (region, state)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS fact_sales (
  transaction_id         VARCHAR(255)  NOT NULL,
  date_key               INT           NOT NULL,
  customer_key           INT           NOT NULL,
  product_key            INT           NOT NULL,
  location_key           INT           NOT NULL,
  quantity               INT           NULL,
  unit_price             DECIMAL(12,2) NULL,
  discount               DECIMAL(6,4)  NULL,
  tax_amount             DECIMAL(12,2) NULL,
  total_amount           DECIMAL(12,2) NULL,
  transaction_timestamp  DATETIME(3)   NULL,
  batch_ds               DATE          NOT NULL,
  CONSTRAINT pk_fact_sales PRIMARY KEY (transaction_id),
  INDEX ix_fact_sales_batch_ds (batch_ds),
  INDEX ix_fact_sales_date_key (date_key),
  INDEX ix_fact_sales_customer_key (customer_key),
  INDEX ix_fact_sales_product_key (product_key),
  INDEX ix_fact_sales_location_key (location_key),
  CONSTRAINT fk_fact_sales_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
  CONSTRAINT fk_fact_sales_customer FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key),
  CONSTRAINT fk_fact_sales_product FOREIGN KEY (product_key) REFERENCES dim_product (product_key),
  CONSTRAINT fk_fact_sales_location FOREIGN KEY (location_key) REFERENCES dim_location (location_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Which dimension snapshot each dimension table holds (the loader's bookkeeping): a re-load of an
-- older ds keeps the newer history instead of writing an older one over it.
CREATE TABLE IF NOT EXISTS etl_dimension_state (
  table_name    VARCHAR(64)  NOT NULL,
  ds            DATE         NOT NULL,
  committed_at  VARCHAR(40)  NOT NULL,
  CONSTRAINT pk_etl_dimension_state PRIMARY KEY (table_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per sale with every dimension, for BI tools. dim_customer keeps history (type 2): the
-- customer_* columns are the customer's current attributes (the row with is_current), the
-- *_at_sale ones those of the version the sale points to (valid at its date). Inner joins lose
-- nothing: the foreign keys guarantee a match, every customer_id has exactly one current row, and
-- a missed lookup points at the unknown member (-1). net_amount is total_amount without the tax.
CREATE OR REPLACE VIEW vw_sales_analysis AS
SELECT
  f.transaction_id,
  f.batch_ds,
  f.transaction_timestamp,
  f.date_key,
  d.full_date,
  d.year,
  d.quarter,
  d.month,
  d.month_name,
  d.week_of_year,
  d.day_name,
  d.is_weekend,
  d.is_holiday,
  d.fiscal_year,
  d.fiscal_quarter,
  f.customer_key,
  c.customer_id,
  cc.first_name   AS customer_first_name,
  cc.last_name    AS customer_last_name,
  cc.email        AS customer_email,
  cc.city         AS customer_city,
  cc.state        AS customer_state,
  cc.country      AS customer_country,
  cc.is_inferred  AS customer_is_inferred,
  c.city          AS customer_city_at_sale,
  c.state         AS customer_state_at_sale,
  c.country       AS customer_country_at_sale,
  f.product_key,
  p.product_id,
  p.product_name,
  p.category,
  p.subcategory,
  p.brand,
  p.unit_cost,
  f.location_key,
  l.location_id,
  l.store_name,
  l.city          AS store_city,
  l.state         AS store_state,
  l.country       AS store_country,
  l.region,
  f.quantity,
  f.unit_price,
  f.discount,
  f.tax_amount,
  f.total_amount,
  f.total_amount - COALESCE(f.tax_amount, 0) AS net_amount
FROM fact_sales f
JOIN dim_date d ON d.date_key = f.date_key
JOIN dim_customer c ON c.customer_key = f.customer_key
JOIN dim_customer cc ON cc.customer_id = c.customer_id AND cc.is_current = TRUE
JOIN dim_product p ON p.product_key = f.product_key
JOIN dim_location l ON l.location_key = f.location_key;
