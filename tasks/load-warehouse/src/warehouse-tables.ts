/**
 * The warehouse model the loader fills lives in @salesflow/config (warehouseTablesOf): derived
 * from the config alone, so setup can check a config against the model of the last load without
 * a warehouse connection. Re-exported here for the loader's modules.
 */
export { DIM_DATE_TABLE, warehouseTablesOf, type WarehouseColumn, type WarehouseColumnType, type WarehouseDialect, type WarehouseTable } from '@salesflow/config';
