/**
 * `value`, or the error `expired()` makes once `ms` have passed with it still pending (the promise
 * is not cancelled). The one deadline the test kit's timeouts and `eventually()` both use.
 */
export async function settleWithin<T>(value: Promise<T>, ms: number, expired: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), ms);
  });
  try {
    return await Promise.race([value, late]);
  } finally {
    clearTimeout(timer);
  }
}
