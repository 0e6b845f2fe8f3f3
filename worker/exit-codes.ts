/** Exit statuses of otpflow's commands. */

/** The configuration is invalid (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
