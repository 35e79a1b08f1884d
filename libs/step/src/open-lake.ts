import type { LakeConfig } from '@salesflow/config';
import { Lake, openStorage } from '@salesflow/lake';
import type { Logger } from '@salesflow/logging';

/** The lake described by the config's lake section. */
export function openLake(lake: LakeConfig, log?: Logger): Lake {
  const storage = openStorage(lake.root, {
    endpoint: lake.s3.endpoint,
    region: lake.s3.region,
    forcePathStyle: lake.s3.force_path_style,
    serverSideEncryption: lake.s3.server_side_encryption,
    kmsKeyId: lake.s3.kms_key_id,
    maxAttempts: lake.s3.max_attempts,
  });
  return new Lake(storage, { rowGroupSize: lake.row_group_size, compression: lake.compression, statistics: lake.statistics, log });
}
