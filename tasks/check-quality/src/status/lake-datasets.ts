// The dataset graph the config makes lives in @salesflow/step, where the catalog reads it too.
export { QUALITY_DATASET, ZONES, lakeDatasetsOf, type LakeDataset, type Zone } from '@salesflow/step';
