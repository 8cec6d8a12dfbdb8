/** holy's version, in one place: `--version`, and the run header of bench results and reports. */
export const VERSION = '0.1.0';
