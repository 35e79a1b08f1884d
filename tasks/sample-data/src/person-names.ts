/** Common US first names; one has an accent so UTF-8 round trips get exercised. */
export const FIRST_NAMES: readonly string[] = Object.freeze([
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth',
  'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen',
  'Christopher', 'Lisa', 'Daniel', 'Nancy', 'Matthew', 'Betty', 'Anthony', 'Margaret', 'Mark', 'Sandra',
  'Donald', 'Ashley', 'Steven', 'Kimberly', 'Paul', 'Emily', 'Andrew', 'Donna', 'Joshua', 'Michelle',
  'Kevin', 'Carol', 'Brian', 'Amanda', 'George', 'Melissa', 'Timothy', 'Deborah', 'José', 'Maria',
  'Wei', 'Aisha', 'Mohammed', 'Priya', 'Kenji', 'Olivia', 'Liam', 'Emma', 'Noah', 'Ava',
]);

/** Common US last names, including an apostrophe and a space. */
export const LAST_NAMES: readonly string[] = Object.freeze([
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin',
  'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson',
  'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores',
  'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts',
  "O'Brien", 'Kim', 'Patel', 'Chen', 'Van Dyke', 'Murphy', 'Cooper', 'Reed', 'Bailey', 'Kelly',
]);

/** Mail domains reserved for examples (RFC 2606), so no real mailbox is ever named. */
export const EMAIL_DOMAINS: readonly string[] = Object.freeze(['example.com', 'example.net', 'example.org']);
