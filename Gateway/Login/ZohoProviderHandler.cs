using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OAuth;
using Microsoft.Extensions.Options;

namespace Tribuo.Gateway.Login;

internal sealed class ZohoProviderOptions : ProviderSchemeOptions;

/// <summary>
/// Zoho Accounts (employees): OAuth 2 against the data centre's accounts server, then
/// <c>/oauth/user/info</c>. The user id is the ZUID, and <c>img_url</c> is the Zoho contacts thumbnail the
/// existing sites already show (<c>https://contacts.zoho.eu/file?t=user&amp;ID=ZUID&amp;fs=thumb</c>).
/// </summary>
internal sealed class ZohoProviderHandler(IOptionsMonitor<ZohoProviderOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : OAuthHandler<ZohoProviderOptions>(options, logger, encoder)
{
    public static void UseAccountsServer(ZohoProviderOptions options, string accountsUrl)
    {
        var accounts = accountsUrl.TrimEnd('/');
        options.AuthorizationEndpoint = accounts + "/oauth/v2/auth";
        options.TokenEndpoint = accounts + "/oauth/v2/token";
        options.UserInformationEndpoint = accounts + "/oauth/user/info";
    }

    /// <summary>The contacts server of the same data centre: accounts.zoho.eu → contacts.zoho.eu.</summary>
    public static string ThumbnailUrl(string accountsUrl, string zuid)
    {
        var host = new Uri(accountsUrl).Host;
        var contacts = host.StartsWith("accounts.", StringComparison.OrdinalIgnoreCase) ? "contacts." + host["accounts.".Length..] : host;
        return $"https://{contacts}/file?t=user&ID={Uri.EscapeDataString(zuid)}&fs=thumb";
    }

    protected override string BuildChallengeUrl(AuthenticationProperties properties, string redirectUri) =>
        base.BuildChallengeUrl(properties, Options.RedirectUri(Options.CallbackPath) ?? redirectUri);

    protected override async Task<HandleRequestResult> HandleRemoteAuthenticateAsync()
    {
        try
        {
            return await base.HandleRemoteAuthenticateAsync();
        }
        catch (Exception ex) when (ex is AuthenticationFailureException or HttpRequestException or JsonException or InvalidOperationException or TaskCanceledException)
        {
            return Options.FailKeepingState(ex, Request);
        }
    }

    protected override Task<OAuthTokenResponse> ExchangeCodeAsync(OAuthCodeExchangeContext context) =>
        base.ExchangeCodeAsync(new OAuthCodeExchangeContext(context.Properties, context.Code, Options.RedirectUri(Options.CallbackPath) ?? context.RedirectUri));

    protected override async Task<AuthenticationTicket> CreateTicketAsync(ClaimsIdentity identity, AuthenticationProperties properties, OAuthTokenResponse tokens)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Options.UserInformationEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Zoho-oauthtoken", tokens.AccessToken);
        using var response = await Backchannel.SendAsync(request, Context.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            throw new AuthenticationFailureException($"Zoho's user info endpoint answered {(int)response.StatusCode}.");
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Context.RequestAborted));
        var user = document.RootElement;
        var zuid = user.TryGetProperty("ZUID", out var id) ? id.ToString() : throw new AuthenticationFailureException("Zoho returned no ZUID.");
        var name = user.TryGetProperty("Display_Name", out var display) && display.GetString() is { Length: > 0 } d ? d
            : $"{Text(user, "First_Name")} {Text(user, "Last_Name")}".Trim();

        ProviderClaims.Add(identity, ProviderClaims.Subject, zuid);
        ProviderClaims.Add(identity, ProviderClaims.PreferredUserId, zuid);
        ProviderClaims.Add(identity, ProviderClaims.Email, Text(user, "Email"));
        ProviderClaims.Add(identity, ProviderClaims.Name, name);
        ProviderClaims.Add(identity, ProviderClaims.Picture, ThumbnailUrl(Options.Provider.AccountsUrl!, zuid));
        ProviderClaims.Add(identity, ProviderClaims.Company, Options.Provider.Company);
        return new AuthenticationTicket(new ClaimsPrincipal(identity), properties, Scheme.Name);
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
