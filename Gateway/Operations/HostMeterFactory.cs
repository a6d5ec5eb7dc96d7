using System.Diagnostics.Metrics;

namespace Tribuo.Gateway.Operations;

/// <summary>
/// The host's <see cref="IMeterFactory"/> (the gateway's meter, Kestrel's), known before the container is
/// built, so that the metrics pipeline can keep to this host's meters: a listener hears every meter of a
/// name in the process, and two hosts in one process (the tests start many) would add up each other's
/// figures. Same contract as the framework's factory: one meter per name, version and tags, disposed with it.
/// </summary>
internal sealed class HostMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        if (options.Scope is not null && !ReferenceEquals(options.Scope, this))
        {
            throw new InvalidOperationException("The meter options' scope must be this factory.");
        }

        lock (_meters)
        {
            foreach (var existing in _meters)
            {
                if (existing.Name == options.Name && existing.Version == options.Version && SameTags(existing.Tags, options.Tags))
                {
                    return existing;
                }
            }

            options.Scope = this;
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }
    }

    /// <summary>Meters of another host's factory are not this host's figures; process-wide meters (no factory) are.</summary>
    public bool IsForeign(Meter meter) => meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, this);

    public void Dispose()
    {
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }

            _meters.Clear();
        }
    }

    private static bool SameTags(IEnumerable<KeyValuePair<string, object?>>? left, IEnumerable<KeyValuePair<string, object?>>? right)
    {
        var a = left?.ToList() ?? [];
        var b = right?.ToList() ?? [];
        return a.Count == b.Count && a.All(tag => b.Any(other => other.Key == tag.Key && Equals(other.Value, tag.Value)));
    }
}
