using Microsoft.Extensions.DependencyInjection;
using Tribuo.Gateway.Keys;
using Tribuo.Gateway.Tests.Infrastructure;
using Tribuo.Gateway.Users;
using Xunit;

namespace Tribuo.Gateway.Tests.Users;

/// <summary>
/// The api_token handed to DataPass-style front ends is the user's key's live secret. An outside tester rotated the
/// key in the console: the new secret worked, but the hand-off kept sending the old one, answered 401 for good.
/// </summary>
public sealed class ApiTokenTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ExternalLogin Login(string email) => new() { Provider = "datapass", Subject = "sub-" + email, Email = email, EmailVerified = true };

    [Fact]
    public async Task A_rotation_of_the_users_key_is_the_token_the_hand_off_sends()
    {
        await using var gateway = GatewayApp.Start("""{ "Routes": {}, "Clusters": {} }""");
        var accounts = gateway.Services.GetRequiredService<UserAccounts>();
        var user = await accounts.SignInAsync(Login("rita@acme.fr"), linkByEmail: false, [], Ct);
        var first = accounts.ReadApiToken(user);
        Assert.NotNull(first);

        var rotated = await gateway.Services.GetRequiredService<KeyService>().RotateAsync(UserAccounts.KeyIdFor(user.Id), "test", Ct);

        var stored = await gateway.Services.GetRequiredService<IUserStore>().GetAsync(user.Id, Ct);
        Assert.Equal(rotated.Secret, accounts.ReadApiToken(stored!));
        var again = await accounts.SignInAsync(Login("rita@acme.fr"), linkByEmail: false, [], Ct);
        Assert.Equal(rotated.Secret, accounts.ReadApiToken(again));
    }
}
