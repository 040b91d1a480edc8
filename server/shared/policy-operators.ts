/** Rule condition operators (a plain list so the UI can offer them). */
export const CONDITION_OPERATORS_LIST = [
  "equals",
  "notEquals",
  "in",
  "glob",
  "regex",
  "lt",
  "lte",
  "gt",
  "gte",
  "exists",
] as const;
