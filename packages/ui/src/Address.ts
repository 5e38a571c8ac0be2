/** Where `o1coder ui` listens unless told otherwise. */
export const DEFAULT_PORT = 8751
export const DEFAULT_HOST = "127.0.0.1"
