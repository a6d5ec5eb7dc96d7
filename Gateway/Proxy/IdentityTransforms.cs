using System.Net.Http.Headers;
using Tribuo.Gateway.Tokens;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace Tribuo.Gateway.Proxy;

/// <summary>
/// What every proxied request carries about its caller (DESIGN §7). The client's own <c>X-Tribuo-*</c>
/// headers were removed by the access step before YARP copied the request, so what is added here is all
/// the upstream sees under that namespace.
/// </summary>
internal static class IdentityTransforms
{
    public const string KeyIdHeader = "X-Tribuo-Key-Id";
    public const string KeyScopesHeader = "X-Tribuo-Key-Scopes";
    public const string UserIdHeader = "X-Tribuo-User-Id";
    public const string UserEmailHeader = "X-Tribuo-User-Email";
    public const string UserNameHeader = "X-Tribuo-User-Name";
    public const string UserRoleHeader = "X-Tribuo-User-Role";
    public const string UserCompanyHeader = "X-Tribuo-User-Company";
    public const string UserSiretHeader = "X-Tribuo-User-Org-Siret";
    public const string AssertionHeader = "X-Tribuo-Assertion";

    public static void Apply(TransformBuilderContext context)
    {
        var assertions = context.Services.GetRequiredService<AssertionCache>();
        context.AddRequestTransform(transform =>
        {
            if (transform.HttpContext.Features.Get<GatewayCaller>() is not { } caller)
            {
                return ValueTask.CompletedTask;
            }

            var headers = transform.ProxyRequest.Headers;
            if (caller.KeyId is not null)
            {
                headers.TryAddWithoutValidation(KeyIdHeader, caller.KeyId);
                headers.TryAddWithoutValidation(KeyScopesHeader, caller.KeyScopes);
            }

            if (caller.User is { } user)
            {
                Add(headers, UserIdHeader, user.Id);
                Add(headers, UserEmailHeader, user.Email);
                Add(headers, UserNameHeader, user.Name);
                Add(headers, UserRoleHeader, user.Role);
                Add(headers, UserCompanyHeader, user.Company);
                Add(headers, UserSiretHeader, user.OrganizationSiret);
            }

            var cluster = transform.HttpContext.GetReverseProxyFeature().Cluster.Config.ClusterId;
            headers.TryAddWithoutValidation(AssertionHeader, assertions.For(caller, cluster));
            return ValueTask.CompletedTask;
        });

        context.AddResponseTransform(static transform =>
        {
            RemoveGatewayCookies(transform.HttpContext.Response.Headers);

            // The access step set only an origin that can be echoed; checked again here, where writing one that cannot
            // would throw after the upstream answered.
            if (transform.HttpContext.Features.Get<GatewayCaller>() is { CorsOrigin: { } origin } caller && Http.EchoedOrigin.CanEcho(origin))
            {
                // Set, not appended: the gateway decided this origin may read the answer, whatever the upstream says.
                var headers = transform.HttpContext.Response.Headers;
                headers.AccessControlAllowOrigin = origin;
                headers.Append("Vary", "Origin");
                if (caller.CorsWithCredentials)
                {
                    headers.AccessControlAllowCredentials = "true";
                }
            }

            return ValueTask.CompletedTask;
        });
    }

    /// <summary>
    /// An upstream's <c>Set-Cookie</c> for the gateway's own cookies (the session, the login binding, in any case and
    /// prefix): a site behind a public route could otherwise fix a visitor's session, or set the binding a crafted
    /// <c>?token=</c> link needs to replace a valid session (an outside probe). The upstream's other cookies pass.
    /// </summary>
    private static void RemoveGatewayCookies(IHeaderDictionary headers)
    {
        var cookies = headers.SetCookie;
        if (cookies.Count == 0 || !cookies.Any(IsGatewayCookie))
        {
            return;
        }

        headers.SetCookie = new Microsoft.Extensions.Primitives.StringValues(cookies.Where(c => !IsGatewayCookie(c)).ToArray());
    }

    private static bool IsGatewayCookie(string? setCookie)
    {
        var name = Http.CookiePair.NameOf(setCookie ?? "");
        if (name.StartsWith("__Host-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("__Secure-", StringComparison.OrdinalIgnoreCase))
        {
            name = name[(name.IndexOf('-') + 1)..];
        }

        return name.Equals(Login.SessionCookie.Name, StringComparison.OrdinalIgnoreCase)
            || name.Equals(Login.BrowserSession.HandBackBinding, StringComparison.OrdinalIgnoreCase);
    }

    private static void Add(HttpRequestHeaders headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            headers.TryAddWithoutValidation(name, CallerUser.HeaderValue(value));
        }
    }
}
