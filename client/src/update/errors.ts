/**
 * Why an update was not installed. Either way the running binary carries on;
 * the difference is whether trying the same build again could help.
 */

/** The build or its manifest is wrong (signature, hash, size, version): not tried again. */
export class UpdateRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UpdateRefused";
  }
}

/** Something in the way (network, truncated download, full disk): worth another try later. */
export class UpdateFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UpdateFailed";
  }
}
