/** Street names for customer and store addresses. */
export const STREET_NAMES: readonly string[] = Object.freeze([
  'Main', 'Oak', 'Maple', 'Cedar', 'Pine', 'Elm', 'Washington', 'Lake', 'Hill', 'Park',
  'Sunset', 'Lincoln', 'Jackson', 'Highland', 'Church', 'River', 'Spring', 'Ridge', 'Franklin', 'Madison',
  'Walnut', 'Chestnut', 'Willow', 'Jefferson', 'Meadow', 'Forest', 'Center', 'Union', 'Broad', 'Market',
]);

/** Street suffixes, abbreviated as the USPS does. */
export const STREET_TYPES: readonly string[] = Object.freeze(['St', 'Ave', 'Blvd', 'Rd', 'Ln', 'Dr', 'Ct', 'Way', 'Pl']);
