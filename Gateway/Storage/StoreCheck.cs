namespace Tribuo.Gateway.Storage;

/// <summary>One configured store as <c>/readyz</c> sees it.</summary>
internal interface IStoreCheck
{
    string Name { get; }

    /// <summary>Null when the store answers and is migrated; otherwise why not (never a connection string).</summary>
    Task<string?> CheckAsync(CancellationToken cancellationToken);
}
