using StackExchange.Redis;
using Tribuo.Gateway.Storage.Redis;

namespace Tribuo.Gateway.RateLimits;

/// <summary>What one script call decided, and how many requests it counted in advance for this instance to admit alone.</summary>
/// <param name="Granted">Requests counted (this one included); above 1 only when every limit had ample room.</param>
/// <param name="ValidFor">The extra ones may be used until then: the end of the current slot, by Redis' clock.</param>
internal sealed record SharedDecision(RateLimitDecision Decision, long Granted, TimeSpan ValidFor);

/// <summary>
/// Counting shared by every instance: one Lua script per decision judges and counts all the request's limits at
/// once, atomically, on Redis' own clock (<c>TIME</c>), so instances' clocks and races between them do not
/// matter. Each counter is a hash <c>tgw:rl:…</c> of slot number → requests (see <see cref="SubWindows"/>),
/// expiring when its last request leaves the window.
/// </summary>
internal sealed class RedisRateCounters(RedisConnection redis)
{
    // Mirrors SubWindows.Judge. ARGV[1] is how many requests to count at once when every limit has room for 16
    // times that (tighter limits count exactly one, so a small limit is never spent on requests that do not come),
    // then count, window and slot (ms) for each KEYS entry.
    // Returns {allowed, granted, validMs, remaining1, resetMs1, refused1, remaining2, ...}.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local want = tonumber(ARGV[1])
        local result = {1, want, 0}
        local valid = nil
        local limits = {}
        for i = 1, #KEYS do
          local limit = tonumber(ARGV[3 * i - 1])
          local window = tonumber(ARGV[3 * i])
          local slot = tonumber(ARGV[3 * i + 1])
          local first = math.floor((now - window) / slot)
          local current = math.floor(now / slot)
          local fields = {}
          for s = first, current do fields[#fields + 1] = s end
          local counts = redis.call('HMGET', KEYS[i], unpack(fields))
          local total = 0
          for j = 1, #counts do
            counts[j] = tonumber(counts[j]) or 0
            total = total + counts[j]
          end
          local reset, refused = 0, 0
          if total >= limit then
            refused = 1
            result[1] = 0
            local running = total
            for j = 1, #counts do
              running = running - counts[j]
              if running < limit then
                reset = (first + j) * slot + window - now
                break
              end
            end
          else
            local oldest = #counts
            for j = 1, #counts do
              if counts[j] > 0 then oldest = j break end
            end
            reset = (first + oldest) * slot + window - now
            if limit - total < want * 16 then result[2] = 1 end
          end
          local ends = (current + 1) * slot - now
          if valid == nil or ends < valid then valid = ends end
          limits[i] = {limit, total, reset, refused, current, first, window + slot}
        end
        local granted = result[2]
        result[3] = valid
        for i = 1, #KEYS do
          local l = limits[i]
          local remaining = 0
          if l[4] == 0 then remaining = l[1] - l[2] - granted end
          result[#result + 1] = remaining
          result[#result + 1] = l[3]
          result[#result + 1] = l[4]
          if result[1] == 1 then
            if redis.call('HINCRBY', KEYS[i], l[5], granted) == granted then
              local stale = {}
              for _, s in ipairs(redis.call('HKEYS', KEYS[i])) do
                if tonumber(s) < l[6] then stale[#stale + 1] = s end
              end
              if #stale > 0 then redis.call('HDEL', KEYS[i], unpack(stale)) end
            end
            redis.call('PEXPIRE', KEYS[i], l[7])
          end
        end
        return result
        """;

    /// <summary>Null while the client knows its connection is down: nothing is sent, and the caller counts locally at once.</summary>
    public async Task<SharedDecision?> DecideAsync(IReadOnlyList<LimitedCounter> counters, int want)
    {
        var multiplexer = await redis.GetMultiplexerAsync();
        if (!multiplexer.IsConnected)
        {
            return null;
        }

        var keys = new RedisKey[counters.Count];
        var arguments = new RedisValue[1 + counters.Count * 3];
        arguments[0] = want;
        for (var i = 0; i < counters.Count; i++)
        {
            var limit = counters[i].Limit;
            keys[i] = RedisConnection.Prefix + "rl:" + counters[i].Counter;
            arguments[1 + 3 * i] = limit.Count;
            arguments[2 + 3 * i] = (long)limit.Window.TotalMilliseconds;
            arguments[3 + 3 * i] = SubWindows.SlotMilliseconds(limit);
        }

        var result = (RedisResult[])(await multiplexer.GetDatabase().ScriptEvaluateAsync(Script, keys, arguments))!;
        var states = new LimitState[counters.Count];
        for (var i = 0; i < counters.Count; i++)
        {
            states[i] = new LimitState(
                (long)result[3 + 3 * i],
                TimeSpan.FromMilliseconds(Math.Max(0, (long)result[4 + 3 * i])),
                (long)result[5 + 3 * i] == 1);
        }

        var decision = new RateLimitDecision(counters, states);
        return new SharedDecision(decision, decision.Allowed ? (long)result[1] : 0, TimeSpan.FromMilliseconds(Math.Max(0, (long)result[2])));
    }
}
