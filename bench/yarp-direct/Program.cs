using System.Net;
using Yarp.ReverseProxy.Forwarder;

// YARP at its fastest, as the ceiling of any YARP-based gateway on this machine (bench/run.sh, target `yarp`):
// the shape of YARP's own benchmark app (dotnet/yarp testassets/BenchmarkApp): one terminal delegate calling
// IHttpForwarder, no routing, no middleware, no logging, no trace propagation. The only work beside forwarding
// is the KEY check haproxy does in the same run: an exact header match, the header removed before forwarding.
// X-Forwarded-* are added (HttpTransformer.Default), as nginx and the gateway add them.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = args });
builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.AddServerHeader = false);
// bench/ceiling.sh also runs it with `--Inline=true`: Kestrel's UnsafePreferInlineScheduling.
builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = builder.Configuration["Inline"] == "true");
builder.Services.AddHttpForwarder();
var app = builder.Build();

var upstream = app.Configuration["Upstream"] ?? throw new InvalidOperationException("--Upstream=<url> is required");
var expected = "KEY " + (app.Configuration["Key"] ?? throw new InvalidOperationException("--Key=<secret> is required"));
var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
var invoker = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    AllowAutoRedirect = false,
    AutomaticDecompression = DecompressionMethods.None,
    UseCookies = false,
    ActivityHeadersPropagator = null,
    ConnectTimeout = TimeSpan.FromSeconds(15),
});

app.Run(async context =>
{
    var headers = context.Request.Headers;
    if (!string.Equals(headers.Authorization.ToString(), expected, StringComparison.Ordinal))
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return;
    }

    headers.Remove(Microsoft.Net.Http.Headers.HeaderNames.Authorization);
    await forwarder.SendAsync(context, upstream, invoker, ForwarderRequestConfig.Empty, HttpTransformer.Default);
});
app.Run();
