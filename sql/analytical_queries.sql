-- The demo's analytical queries. Each runs unchanged on SQLite, PostgreSQL and MySQL/MariaDB:
--   * calendar parts come from dim_date's columns, never from a dialect's date functions;
--   * GROUP BY repeats the selected expressions (PostgreSQL resolves a GROUP BY name to the input
--     column before the output alias, so grouping by an alias of COALESCE(...) would differ);
--   * every ORDER BY ends with a tie-breaker, and NULLs are placed explicitly (PostgreSQL sorts
--     them last, SQLite and MySQL first);
--   * nothing is filtered out: facts whose lookup missed point at the unknown member (-1), whose
--     attributes read 'Unknown', so they show up as an 'Unknown' row.
-- A line "-- name: <query>" starts each query; runAnalyticalQueries (load-warehouse) splits on it.

-- name: revenue_by_category
-- Revenue, units and transactions per product category, largest revenue first.
SELECT
  COALESCE(p.category, 'Unknown') AS category,
  COUNT(*) AS transactions,
  SUM(f.quantity) AS units,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_product p ON p.product_key = f.product_key
GROUP BY COALESCE(p.category, 'Unknown')
ORDER BY revenue DESC, category;

-- name: monthly_trend
-- Revenue per calendar month in date order; sales with an unknown date come last.
SELECT
  d.year AS year,
  d.month AS month,
  d.month_name AS month_name,
  COUNT(*) AS transactions,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_date d ON d.date_key = f.date_key
GROUP BY d.year, d.month, d.month_name
ORDER BY CASE WHEN d.year IS NULL THEN 1 ELSE 0 END, d.year, d.month, d.month_name;

-- name: top_customers
-- The 10 customers with the most revenue; ties go to the lower customer_key.
SELECT
  c.customer_key AS customer_key,
  c.customer_id AS customer_id,
  c.city AS city,
  c.state AS state,
  COUNT(*) AS transactions,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_customer c ON c.customer_key = f.customer_key
GROUP BY c.customer_key, c.customer_id, c.city, c.state
ORDER BY revenue DESC, c.customer_key
LIMIT 10;

-- name: revenue_by_region
-- Revenue, stores and transactions per store region, largest revenue first.
SELECT
  COALESCE(l.region, 'Unknown') AS region,
  COUNT(DISTINCT f.location_key) AS stores,
  COUNT(*) AS transactions,
  ROUND(SUM(f.total_amount), 2) AS revenue
FROM fact_sales f
JOIN dim_location l ON l.location_key = f.location_key
GROUP BY COALESCE(l.region, 'Unknown')
ORDER BY revenue DESC, region;
