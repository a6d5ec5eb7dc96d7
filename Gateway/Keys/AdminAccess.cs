namespace Tribuo.Gateway.Keys;

/// <summary>
/// Guards <c>/gateway/*</c>: an active key holding <c>*</c> or <c>gateway:admin</c>. Site keys (bound to
/// browser origins) never administer, whatever their scopes.
/// </summary>
internal sealed class AdminAccess(KeyAuthenticator keys) : IEndpointFilter
{
    public const string AdminScope = "gateway:admin";
    private static readonly string[] AdminScopes = [AdminScope];

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
        if (!key.HoldsAnyOf(AdminScopes) || key.Record!.Origins.Count > 0)
        {
            await KeyProblems.ForbiddenAsync(context, "Administrator key required", $"Key '{key.Record!.Id}' may not administer the gateway; it needs '*' or '{AdminScope}'.");
            return Results.Empty;
        }

        context.Items[typeof(AdminAccess)] = key.Record.Id;
        return await next(invocation);
    }

    /// <summary>Who is acting, for audit lines.</summary>
    public static string Actor(HttpContext context) => $"key:{context.Items[typeof(AdminAccess)]}";
}
