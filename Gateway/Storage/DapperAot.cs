// Every Dapper call is generated at build time (Dapper.AOT's interceptors) instead of emitted at run time, which a
// Native AOT binary cannot do. A call shape it cannot read (a CommandDefinition, a tuple, parameters built at run
// time) is warned about at build (DAP0xx) and would fail only in the AOT binary: keep the build free of them.
[module: Dapper.DapperAot]
