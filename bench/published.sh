# Sourced by bench/run.sh and bench/common.sh: how the benchmarks publish .NET apps and run what was published.

# The gateway publishes as a Native AOT binary (its project sets PublishAot), the form it is deployed in;
# BENCH_JIT=1 publishes the JIT form instead (a Tribuo.Gateway.dll run by `dotnet`), to compare the two.
publish_args() {
    echo "-c Release -r linux-x64 --nologo -v q -clp:ErrorsOnly"
    [ "${BENCH_JIT:-0}" != 1 ] || echo "-p:PublishAot=false"
}

# published_exe <dir> <assembly name>: the command that runs a published app: `dotnet <name>.dll` when the
# publish made one (JIT, and commits from before Native AOT), else the native binary.
published_exe() {
    if [ -f "$1/$2.dll" ]; then echo "dotnet $1/$2.dll"; else echo "$1/$2"; fi
}
