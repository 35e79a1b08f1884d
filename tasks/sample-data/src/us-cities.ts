/** A US city with what an address there needs. */
export interface UsCity {
  readonly city: string;
  readonly state: string;
  /** First three digits of its zip codes (a string: New England ones start with 0). */
  readonly zipPrefix: string;
  readonly areaCode: string;
  /** Sales region of the state, as store reporting groups it. */
  readonly region: 'Northeast' | 'Southeast' | 'Midwest' | 'Southwest' | 'West';
}

const row = (city: string, state: string, zipPrefix: string, areaCode: string, region: UsCity['region']): UsCity =>
  Object.freeze({ city, state, zipPrefix, areaCode, region });

/** Sixty US cities; customers and stores are placed in them. */
export const US_CITIES: readonly UsCity[] = Object.freeze([
  row('New York', 'NY', '100', '212', 'Northeast'),
  row('Buffalo', 'NY', '142', '716', 'Northeast'),
  row('Philadelphia', 'PA', '191', '215', 'Northeast'),
  row('Pittsburgh', 'PA', '152', '412', 'Northeast'),
  row('Boston', 'MA', '021', '617', 'Northeast'),
  row('Hartford', 'CT', '061', '860', 'Northeast'),
  row('Providence', 'RI', '029', '401', 'Northeast'),
  row('Burlington', 'VT', '054', '802', 'Northeast'),
  row('Newark', 'NJ', '071', '973', 'Northeast'),
  row('Portland', 'ME', '041', '207', 'Northeast'),
  row('Manchester', 'NH', '031', '603', 'Northeast'),
  row('Baltimore', 'MD', '212', '410', 'Northeast'),
  row('Atlanta', 'GA', '303', '404', 'Southeast'),
  row('Miami', 'FL', '331', '305', 'Southeast'),
  row('Tampa', 'FL', '336', '813', 'Southeast'),
  row('Orlando', 'FL', '328', '407', 'Southeast'),
  row('Jacksonville', 'FL', '322', '904', 'Southeast'),
  row('Charlotte', 'NC', '282', '704', 'Southeast'),
  row('Raleigh', 'NC', '276', '919', 'Southeast'),
  row('Charleston', 'SC', '294', '843', 'Southeast'),
  row('Nashville', 'TN', '372', '615', 'Southeast'),
  row('Memphis', 'TN', '381', '901', 'Southeast'),
  row('Louisville', 'KY', '402', '502', 'Southeast'),
  row('Richmond', 'VA', '232', '804', 'Southeast'),
  row('Birmingham', 'AL', '352', '205', 'Southeast'),
  row('Little Rock', 'AR', '722', '501', 'Southeast'),
  row('New Orleans', 'LA', '701', '504', 'Southeast'),
  row('Chicago', 'IL', '606', '312', 'Midwest'),
  row('Indianapolis', 'IN', '462', '317', 'Midwest'),
  row('Columbus', 'OH', '432', '614', 'Midwest'),
  row('Cleveland', 'OH', '441', '216', 'Midwest'),
  row('Cincinnati', 'OH', '452', '513', 'Midwest'),
  row('Detroit', 'MI', '482', '313', 'Midwest'),
  row('Milwaukee', 'WI', '532', '414', 'Midwest'),
  row('Madison', 'WI', '537', '608', 'Midwest'),
  row('Minneapolis', 'MN', '554', '612', 'Midwest'),
  row('Kansas City', 'MO', '641', '816', 'Midwest'),
  row('St. Louis', 'MO', '631', '314', 'Midwest'),
  row('Omaha', 'NE', '681', '402', 'Midwest'),
  row('Des Moines', 'IA', '503', '515', 'Midwest'),
  row('Wichita', 'KS', '672', '316', 'Midwest'),
  row('Houston', 'TX', '770', '713', 'Southwest'),
  row('Dallas', 'TX', '752', '214', 'Southwest'),
  row('San Antonio', 'TX', '782', '210', 'Southwest'),
  row('Austin', 'TX', '787', '512', 'Southwest'),
  row('Fort Worth', 'TX', '761', '817', 'Southwest'),
  row('Phoenix', 'AZ', '850', '602', 'Southwest'),
  row('Tucson', 'AZ', '857', '520', 'Southwest'),
  row('Albuquerque', 'NM', '871', '505', 'Southwest'),
  row('Tulsa', 'OK', '741', '918', 'Southwest'),
  row('Los Angeles', 'CA', '900', '213', 'West'),
  row('San Diego', 'CA', '921', '619', 'West'),
  row('San Jose', 'CA', '951', '408', 'West'),
  row('Sacramento', 'CA', '958', '916', 'West'),
  row('Seattle', 'WA', '981', '206', 'West'),
  row('Spokane', 'WA', '992', '509', 'West'),
  row('Portland', 'OR', '972', '503', 'West'),
  row('Denver', 'CO', '802', '303', 'West'),
  row('Salt Lake City', 'UT', '841', '801', 'West'),
  row('Las Vegas', 'NV', '891', '702', 'West'),
  row('Boise', 'ID', '837', '208', 'West'),
  row('Anchorage', 'AK', '995', '907', 'West'),
  row('Honolulu', 'HI', '968', '808', 'West'),
]);

/** The country written for every customer and store. */
export const COUNTRY = 'USA';
