-- Star schema of the PostgreSQL warehouse. Idempotent: the load-warehouse step runs it before
-- every load. Keep the columns in step with sql/sqlite and sql/mysql.
--
-- PostgreSQL specifics:
--   * Tables go to the first schema of the connection's search_path (normally public).
--   * transaction_timestamp is TIMESTAMPTZ: an instant, shown in the session's TimeZone.
--   * CREATE OR REPLACE VIEW can only append columns: after renaming or reordering a column of
--     vw_sales_analysis, DROP VIEW vw_sales_analysis before the next load.

CREATE TABLE IF NOT EXISTS dim_date (
  date_key      INTEGER      NOT NULL,
  full_date     DATE,
  day           INTEGER,
  day_of_week   INTEGER,
  day_name      VARCHAR(16),
  week_of_year  INTEGER,
  month         INTEGER,
  month_name    VARCHAR(16),
  quarter       INTEGER,
  year          INTEGER,
  is_weekend    BOOLEAN,
  is_holiday    BOOLEAN,
  fiscal_year   INTEGER,
  fiscal_quarter INTEGER,
  CONSTRAINT pk_dim_date PRIMARY KEY (date_key),
  CONSTRAINT uq_dim_date_full_date UNIQUE (full_date)
);

CREATE TABLE IF NOT EXISTS dim_customer (
  customer_key  INTEGER      NOT NULL,
  customer_id   VARCHAR(255) NOT NULL,
  first_name    VARCHAR(255),
  last_name     VARCHAR(255),
  email         VARCHAR(255),
  phone         VARCHAR(255),
  address       VARCHAR(255),
  city          VARCHAR(255),
  state         VARCHAR(255),
  zip_code      VARCHAR(255),
  country       VARCHAR(255),
  valid_from    DATE         NOT NULL,
  valid_to      DATE         NOT NULL,
  is_current    BOOLEAN      NOT NULL,
  is_inferred   BOOLEAN      NOT NULL,
  CONSTRAINT pk_dim_customer PRIMARY KEY (customer_key),
  CONSTRAINT uq_dim_customer_version UNIQUE (customer_id, valid_from)
);

CREATE INDEX IF NOT EXISTS ix_dim_customer_current ON dim_customer (is_current, customer_id);

CREATE TABLE IF NOT EXISTS dim_product (
  product_key   INTEGER      NOT NULL,
  product_id    VARCHAR(255) NOT NULL,
  product_name  VARCHAR(255),
  category      VARCHAR(255),
  subcategory   VARCHAR(255),
  brand         VARCHAR(255),
  unit_cost     DECIMAL(12,2),
  unit_price    DECIMAL(12,2),
  is_inferred   BOOLEAN      NOT NULL,
  CONSTRAINT pk_dim_product PRIMARY KEY (product_key),
  CONSTRAINT uq_dim_product_product_id UNIQUE (product_id)
);

CREATE TABLE IF NOT EXISTS dim_location (
  location_key  INTEGER      NOT NULL,
  location_id   VARCHAR(255) NOT NULL,
  store_name    VARCHAR(255),
  city          VARCHAR(255),
  state         VARCHAR(255),
  zip_code      VARCHAR(255),
  country       VARCHAR(255),
  region        VARCHAR(255),
  is_inferred   BOOLEAN      NOT NULL,
  CONSTRAINT pk_dim_location PRIMARY KEY (location_key),
  CONSTRAINT uq_dim_location_location_id UNIQUE (location_id)
);

CREATE TABLE IF NOT EXISTS fact_sales (
  transaction_id         VARCHAR(255)  NOT NULL,
  date_key               INTEGER       NOT NULL,
  customer_key           INTEGER       NOT NULL,
  product_key            INTEGER       NOT NULL,
  location_key           INTEGER       NOT NULL,
  quantity               INTEGER,
  unit_price             DECIMAL(12,2),
  discount               DECIMAL(6,4),
  tax_amount             DECIMAL(12,2),
  total_amount           DECIMAL(12,2),
  transaction_timestamp  TIMESTAMPTZ,
  batch_ds               DATE          NOT NULL,
  CONSTRAINT pk_fact_sales PRIMARY KEY (transaction_id),
  CONSTRAINT fk_fact_sales_date FOREIGN KEY (date_key) REFERENCES dim_date (date_key),
  CONSTRAINT fk_fact_sales_customer FOREIGN KEY (customer_key) REFERENCES dim_customer (customer_key),
  CONSTRAINT fk_fact_sales_product FOREIGN KEY (product_key) REFERENCES dim_product (product_key),
  CONSTRAINT fk_fact_sales_location FOREIGN KEY (location_key) REFERENCES dim_location (location_key)
);

CREATE INDEX IF NOT EXISTS ix_fact_sales_batch_ds ON fact_sales (batch_ds);
CREATE INDEX IF NOT EXISTS ix_fact_sales_date_key ON fact_sales (date_key);
CREATE INDEX IF NOT EXISTS ix_fact_sales_customer_key ON fact_sales (customer_key);
CREATE INDEX IF NOT EXISTS ix_fact_sales_product_key ON fact_sales (product_key);
CREATE INDEX IF NOT EXISTS ix_fact_sales_location_key ON fact_sales (location_key);
CREATE INDEX IF NOT EXISTS ix_dim_date_year_month ON dim_date (year, month);
CREATE INDEX IF NOT EXISTS ix_dim_product_category ON dim_product (category, subcategory);
CREATE INDEX IF NOT EXISTS ix_dim_location_region ON dim_location (region, state);

-- Which dimension snapshot each dimension table holds (the loader's bookkeeping): a re-load of an
-- older ds keeps the newer history instead of writing an older one over it.
CREATE TABLE IF NOT EXISTS etl_dimension_state (
  table_name    VARCHAR(64)  NOT NULL,
  ds            DATE         NOT NULL,
  committed_at  VARCHAR(40)  NOT NULL,
  CONSTRAINT pk_etl_dimension_state PRIMARY KEY (table_name)
);

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
