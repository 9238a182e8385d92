/** Stylesheets imported by page scripts are bundled by `bun build`; they export nothing. */
declare module "*.css";
