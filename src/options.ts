/** The global flags (`holy --json --config FILE …`) every command receives, as commander parses them. */
export interface GlobalOpts {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  config?: string;
  envFile?: string;
  keyFile?: string[];
}
