// Defaults a boot and the doctor must agree on, in a module that reads nothing (doctor imports it alone).

/** Memory a guest gets unless the caller says otherwise; doctor's memory check compares against it. */
export const defaultMemoryMiB = 512;
