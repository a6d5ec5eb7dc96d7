namespace Tribuo.Gateway.Storage;

/// <summary>Which exceptions mean "the store did not answer" (a 503 to retry), as opposed to a bug (a 500).</summary>
internal static class StoreErrors
{
    public static bool IsUnreachable(Exception ex) =>
        ex is StackExchange.Redis.RedisException or TimeoutException or System.Data.Common.DbException or System.Net.Sockets.SocketException;
}
