// grpc-js logs expected failures (a test binds a taken port on purpose) to
// stderr unless told otherwise; tests assert on the errors instead.
process.env.GRPC_VERBOSITY ??= 'NONE';
