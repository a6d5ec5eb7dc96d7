namespace Tribuo.Gateway.Keys;

/// <summary>
/// Guards the gateway's own administration endpoints: an active key holding <c>*</c> or one of the given
/// scopes (<c>gateway:admin</c> for <c>/gateway/*</c>; <c>gateway:metrics</c> also opens <c>/metrics</c>).
/// Site keys (bound to browser origins) never pass, whatever their scopes.
/// </summary>
internal sealed class AdminAccess(KeyAuthenticator keys, Users.UserDirectory users, string[] scopes) : IEndpointFilter
{
    public const string AdminScope = "gateway:admin";
    public const string MetricsScope = "gateway:metrics";

    public static AdminAccess ForAdministration(IServiceProvider services) =>
        new(services.GetRequiredService<KeyAuthenticator>(), services.GetRequiredService<Users.UserDirectory>(), [AdminScope]);

    public static AdminAccess ForMetrics(IServiceProvider services) =>
        new(services.GetRequiredService<KeyAuthenticator>(), services.GetRequiredService<Users.UserDirectory>(), [AdminScope, MetricsScope]);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var result = await keys.AuthenticateHeaderAsync(context.Request.Headers.Authorization.ToString());
        if (result.Status != KeyStatus.Active)
        {
            await KeyProblems.RefusedAsync(context, result);
            return Results.Empty;
        }

        var key = result.Key!;
        Operations.GatewayRequestFeature.SetCaller(context, key.Record!.Id); // named in the access line, refused or not
        if (!key.HoldsAnyOf(scopes) || key.Record!.Origins.Count > 0)
        {
            await KeyProblems.ForbiddenAsync(context, "Administrator key required", key.Record!.Origins.Count > 0
                ? $"Key '{key.Record.Id}' is a site key (bound to browser origins, so its secret is public); site keys never use this endpoint, whatever their scopes."
                : $"Key '{key.Record.Id}' may not use this endpoint; it needs '*' or one of: {string.Join(' ', scopes)}.");
            return Results.Empty;
        }

        // A key tied to a user is that user's credential here too, as on routes: an offboarded admin's personal token
        // stayed an admin-API key after their user was deleted (an outside probe).
        if ((await KeyOwner.CheckAsync(context, key.Record, users)).Refused)
        {
            return Results.Empty;
        }

        context.Items[typeof(CachedKey)] = key;
        return await next(invocation);
    }

    /// <summary>True when the admin key making this request holds <c>*</c> or one of <paramref name="scopes"/>.</summary>
    public static bool CallerHoldsAnyOf(HttpContext context, params string[] scopes) =>
        context.Items[typeof(CachedKey)] is CachedKey caller && caller.HoldsAnyOf(scopes);

    /// <summary>Who is acting, for audit lines.</summary>
    public static string Actor(HttpContext context) => $"key:{(context.Items[typeof(CachedKey)] as CachedKey)?.Record?.Id}";
}
