-- The analytical queries. Each runs unchanged on SQLite, PostgreSQL and MySQL/MariaDB and gives
-- the same answer on each:
--   * calendar parts come from dim_date's columns, never from a dialect's date functions;
--   * GROUP BY repeats the selected expressions (PostgreSQL resolves a GROUP BY name to the input
--     column before the output alias, so grouping by an alias of COALESCE(...) would differ);
--   * money is summed from DECIMAL columns and rounded to the cent; no AVG (a mean can land on half
--     a cent, which SQLite's floating point rounds differently);
--   * every ORDER BY ends with a tie-breaker, and NULLs are placed explicitly (PostgreSQL sorts
--     them last, SQLite and MySQL first);
--   * nothing is filtered out: facts whose lookup missed point at the unknown member (-1), whose
--     attributes read 'Unknown', so they show up as an 'Unknown' row;
--   * customers are counted and ranked by customer_id (the natural key): dim_customer keeps one
--     row per version (type 2), and a customer who moved is still one customer.
-- A line "-- name: <query>" starts each query; runAnalyticalQueries (load-warehouse) splits on it.

-- name: revenue_by_category
-- Revenue, units and transactions per product category and subcategory, largest revenue first.
SELECT
  COALESCE(p.category, 'Unknown') AS category,
  COALESCE(p.subcategory, 'Unknown') AS subcategory,
  COUNT(*) AS transactions,
  SUM(f.quantity) AS units,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_product p ON p.product_key = f.product_key
GROUP BY COALESCE(p.category, 'Unknown'), COALESCE(p.subcategory, 'Unknown')
ORDER BY revenue DESC, category, subcategory;

-- name: revenue_by_period
-- Revenue per year, quarter and month in date order; sales with an unknown date come last.
SELECT
  d.year AS year,
  d.quarter AS quarter,
  d.month AS month,
  d.month_name AS month_name,
  COUNT(*) AS transactions,
  SUM(f.quantity) AS units,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_date d ON d.date_key = f.date_key
GROUP BY d.year, d.quarter, d.month, d.month_name
ORDER BY CASE WHEN d.year IS NULL THEN 1 ELSE 0 END, d.year, d.quarter, d.month, d.month_name;

-- name: top_customers
-- The 100 customers with the most revenue, with their current city and state; ties go to the
-- lower customer_id.
SELECT
  c.customer_id AS customer_id,
  cc.city AS city,
  cc.state AS state,
  COUNT(*) AS transactions,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_customer c ON c.customer_key = f.customer_key
JOIN dim_customer cc ON cc.customer_id = c.customer_id AND cc.is_current = TRUE
GROUP BY c.customer_id, cc.city, cc.state
ORDER BY revenue DESC, c.customer_id
LIMIT 100;

-- name: revenue_by_region
-- Revenue, stores and transactions per store region and state, largest revenue first.
SELECT
  COALESCE(l.region, 'Unknown') AS region,
  COALESCE(l.state, 'Unknown') AS state,
  COUNT(DISTINCT f.location_key) AS stores,
  COUNT(*) AS transactions,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_location l ON l.location_key = f.location_key
GROUP BY COALESCE(l.region, 'Unknown'), COALESCE(l.state, 'Unknown')
ORDER BY revenue DESC, region, state;

-- name: top_products
-- The 50 products with the most revenue and their estimated profit: revenue without tax, less
-- units times the product's unit_cost (a product with no cost counts as cost 0).
SELECT
  p.product_id AS product_id,
  p.product_name AS product_name,
  p.category AS category,
  SUM(f.quantity) AS units,
  ROUND(SUM(f.total_amount), 2) AS revenue,
  ROUND(SUM(f.total_amount - COALESCE(f.tax_amount, 0) - f.quantity * COALESCE(p.unit_cost, 0)), 2) AS estimated_profit
FROM fact_sales f
JOIN dim_product p ON p.product_key = f.product_key
GROUP BY p.product_id, p.product_name, p.category
ORDER BY revenue DESC, p.product_id
LIMIT 50;

-- name: monthly_trend
-- Per calendar month: revenue, transactions and unique customers, in date order; an unknown date
-- comes last.
SELECT
  d.year AS year,
  d.month AS month,
  COUNT(*) AS transactions,
  COUNT(DISTINCT c.customer_id) AS unique_customers,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_date d ON d.date_key = f.date_key
JOIN dim_customer c ON c.customer_key = f.customer_key
GROUP BY d.year, d.month
ORDER BY CASE WHEN d.year IS NULL THEN 1 ELSE 0 END, d.year, d.month;

-- name: customer_segments
-- Customers by lifetime revenue: High (1,000 or more), Medium (250 to 1,000), Low (under 250);
-- how many customers each segment holds and what they bought.
SELECT
  s.segment AS segment,
  COUNT(*) AS customers,
  SUM(s.transactions) AS transactions,
  ROUND(SUM(s.revenue), 2) AS revenue
FROM (
  SELECT
    c.customer_id AS customer_id,
    COUNT(*) AS transactions,
    SUM(f.total_amount) AS revenue,
    CASE
      WHEN SUM(f.total_amount) >= 1000 THEN 'High'
      WHEN SUM(f.total_amount) >= 250 THEN 'Medium'
      ELSE 'Low'
    END AS segment
  FROM fact_sales f
  JOIN dim_customer c ON c.customer_key = f.customer_key
  GROUP BY c.customer_id
) s
GROUP BY s.segment
ORDER BY revenue DESC, segment;
