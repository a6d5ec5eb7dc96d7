using Tribuo.Gateway.Proxy;
using Xunit;

namespace Tribuo.Gateway.Tests.Proxy;

/// <summary>
/// X-Tribuo-User-* values as upstreams read them: every HTTP parser trims spaces at either end, so a value padded with
/// them (an e-mail "alice@acme.fr " a provider asserted) would read as another user's; they are percent-encoded.
/// </summary>
public sealed class IdentityHeaderValueTests
{
    [Theory]
    [InlineData("alice@acme.fr", "alice@acme.fr")]
    [InlineData("Alice Martin", "Alice Martin")]
    [InlineData("alice@acme.fr ", "alice@acme.fr%20")]
    [InlineData("  Alice ", "%20%20Alice%20")]
    [InlineData(" Élodie Ørsted", "%20%C3%89lodie %C3%98rsted")]
    [InlineData("   ", "%20%20%20")]
    [InlineData("50% off", "50%25 off")]
    public void Spaces_at_either_end_are_encoded_and_inner_ones_kept(string value, string sent) =>
        Assert.Equal(sent, CallerUser.HeaderValue(value));
}
