using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Tribuo.Gateway.Login;

/// <summary>
/// The default scheme, and the sign-in scheme the providers hand their tickets to. The login hub keeps no
/// ASP.NET Core session (a login ends in the gateway's own token, see <see cref="LoginCompletion"/>), but a
/// remote handler needs a sign-in scheme other than itself: without one, a single provider became the
/// default scheme and authenticating through it recursed until the stack overflowed.
/// </summary>
internal sealed class NoSessionHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : SignInAuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "tribuo-no-session";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

    // Every provider ticket is handled in OnTicketReceived; reaching here means a login was not finished.
    protected override Task HandleSignInAsync(System.Security.Claims.ClaimsPrincipal user, AuthenticationProperties? properties) =>
        throw new InvalidOperationException("The login hub keeps no ASP.NET Core session.");

    protected override Task HandleSignOutAsync(AuthenticationProperties? properties) => Task.CompletedTask;
}
