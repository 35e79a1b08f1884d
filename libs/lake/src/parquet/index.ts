export { encodeParquet, DEFAULT_ROW_GROUP_SIZE, type EncodeParquetOptions, type ParquetCompression, type ParquetStatistics } from './encode-parquet';
export { openParquetWriter, type ParquetSink, type ParquetWriter, type ParquetWriteResult } from './parquet-writer';
export { readParquetFile, readParquetSchema, countParquetRows, DEFAULT_READ_BATCH_SIZE, type ReadParquetOptions } from './read-parquet';
export { STEP_PROCESS_ENV } from './parquet-thread';
