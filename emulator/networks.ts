/**
 * Plausible mobile network data for the emulator's Number Lookup: MCC/MNC codes are the real
 * ones; network ids and the prefix-to-network mapping are made up but stable.
 */

/** A mobile network as Number Lookup reports it, plus the codes the emulator derives from it. */
export interface EmulatedNetwork {
  networkName: string;
  networkId: number;
  mcc: string;
  mnc: string;
  /** National prefixes (after the country code) that belong to this network. */
  prefixes: readonly string[];
}

/** A country with its networks. */
export interface EmulatedCountry {
  countryPrefix: string;
  countryName: string;
  networks: readonly EmulatedNetwork[];
}

/** The countries the emulator knows by name; other country codes get the ITU test network 001-01. */
export const LOOKUP_COUNTRIES: readonly EmulatedCountry[] = [
  {
    countryPrefix: '41',
    countryName: 'Switzerland',
    networks: [
      { networkName: 'Swisscom', networkId: 1035, mcc: '228', mnc: '01', prefixes: ['79', '75'] },
      { networkName: 'Sunrise', networkId: 1036, mcc: '228', mnc: '02', prefixes: ['76', '77'] },
      { networkName: 'Salt', networkId: 1037, mcc: '228', mnc: '03', prefixes: ['78'] },
    ],
  },
  {
    countryPrefix: '49',
    countryName: 'Germany',
    networks: [
      {
        networkName: 'Telekom Deutschland',
        networkId: 1120,
        mcc: '262',
        mnc: '01',
        prefixes: ['151', '160', '170', '171', '175'],
      },
      {
        networkName: 'Vodafone Germany',
        networkId: 1121,
        mcc: '262',
        mnc: '02',
        prefixes: ['152', '162', '172', '173', '174'],
      },
      {
        networkName: 'Telefonica Germany (O2)',
        networkId: 1122,
        mcc: '262',
        mnc: '03',
        prefixes: ['157', '159', '163', '176', '177', '178', '179'],
      },
    ],
  },
  {
    countryPrefix: '44',
    countryName: 'United Kingdom',
    networks: [
      { networkName: 'EE', networkId: 1180, mcc: '234', mnc: '30', prefixes: ['77', '78'] },
      { networkName: 'O2 UK', networkId: 1181, mcc: '234', mnc: '10', prefixes: ['74', '75'] },
      { networkName: 'Vodafone UK', networkId: 1182, mcc: '234', mnc: '15', prefixes: ['73', '76'] },
      { networkName: 'Three UK', networkId: 1183, mcc: '234', mnc: '20', prefixes: ['79', '71', '72'] },
    ],
  },
  {
    countryPrefix: '1',
    countryName: 'United States',
    networks: [
      {
        networkName: 'T-Mobile USA',
        networkId: 1300,
        mcc: '310',
        mnc: '260',
        prefixes: ['206', '212', '415'],
      },
      {
        networkName: 'AT&T Mobility',
        networkId: 1301,
        mcc: '310',
        mnc: '410',
        prefixes: ['214', '312', '404'],
      },
      {
        networkName: 'Verizon Wireless',
        networkId: 1302,
        mcc: '311',
        mnc: '480',
        prefixes: ['202', '305', '617'],
      },
    ],
  },
  {
    countryPrefix: '385',
    countryName: 'Croatia',
    networks: [
      { networkName: 'Hrvatski Telekom', networkId: 1400, mcc: '219', mnc: '01', prefixes: ['98', '99'] },
      { networkName: 'A1 Hrvatska', networkId: 1401, mcc: '219', mnc: '10', prefixes: ['91'] },
      {
        networkName: 'Telemach Hrvatska',
        networkId: 1402,
        mcc: '219',
        mnc: '02',
        prefixes: ['92', '95', '97'],
      },
    ],
  },
];
