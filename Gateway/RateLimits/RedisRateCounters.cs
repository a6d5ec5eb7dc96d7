using System.Globalization;
using StackExchange.Redis;
using Tribuo.Gateway.Storage.Redis;

namespace Tribuo.Gateway.RateLimits;

/// <summary>
/// Counting shared by every instance: one Lua script per request judges and counts all its limits at once,
/// atomically, on Redis' own clock (<c>TIME</c>), so instances' clocks and races between them do not matter.
/// Each counter is a hash <c>tgw:rl:…</c> of slot number → requests (see <see cref="SubWindows"/>), expiring
/// when its last request leaves the window.
/// </summary>
internal sealed class RedisRateCounters(RedisConnection redis)
{
    // Mirrors SubWindows.Judge. ARGV holds count, window and slot (ms) for each KEYS entry.
    // Returns {allowed, remaining1, resetMs1, refused1, remaining2, ...}.
    private const string Script = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local result = {1}
        local currents = {}
        for i = 1, #KEYS do
          local limit = tonumber(ARGV[3 * i - 2])
          local window = tonumber(ARGV[3 * i - 1])
          local slot = tonumber(ARGV[3 * i])
          local first = math.floor((now - window) / slot)
          local current = math.floor(now / slot)
          currents[i] = {current, first, window + slot}
          local fields = {}
          for s = first, current do fields[#fields + 1] = s end
          local counts = redis.call('HMGET', KEYS[i], unpack(fields))
          local total = 0
          for j = 1, #counts do
            counts[j] = tonumber(counts[j]) or 0
            total = total + counts[j]
          end
          local remaining, reset, refused = 0, 0, 0
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
            remaining = limit - total - 1
            reset = (first + oldest) * slot + window - now
          end
          result[#result + 1] = remaining
          result[#result + 1] = reset
          result[#result + 1] = refused
        end
        if result[1] == 1 then
          for i = 1, #KEYS do
            local current, first, ttl = currents[i][1], currents[i][2], currents[i][3]
            if redis.call('HINCRBY', KEYS[i], current, 1) == 1 then
              local stale = {}
              for _, s in ipairs(redis.call('HKEYS', KEYS[i])) do
                if tonumber(s) < first then stale[#stale + 1] = s end
              end
              if #stale > 0 then redis.call('HDEL', KEYS[i], unpack(stale)) end
            end
            redis.call('PEXPIRE', KEYS[i], ttl)
          end
        end
        return result
        """;

    public async Task<RateLimitDecision> DecideAsync(IReadOnlyList<LimitedCounter> counters)
    {
        var keys = new RedisKey[counters.Count];
        var arguments = new RedisValue[counters.Count * 3];
        for (var i = 0; i < counters.Count; i++)
        {
            var limit = counters[i].Limit;
            keys[i] = RedisConnection.Prefix + "rl:" + counters[i].Counter;
            arguments[3 * i] = limit.Count;
            arguments[3 * i + 1] = (long)limit.Window.TotalMilliseconds;
            arguments[3 * i + 2] = SubWindows.SlotMilliseconds(limit);
        }

        var database = await redis.GetDatabaseAsync();
        var result = (RedisResult[])(await database.ScriptEvaluateAsync(Script, keys, arguments))!;
        var states = new LimitState[counters.Count];
        for (var i = 0; i < counters.Count; i++)
        {
            states[i] = new LimitState(
                (long)result[1 + 3 * i],
                TimeSpan.FromMilliseconds(Math.Max(0, (long)result[2 + 3 * i])),
                (long)result[3 + 3 * i] == 1);
        }

        return new RateLimitDecision(counters, states);
    }

    /// <summary>False while the connection is down: the caller counts locally at once instead of waiting for a timeout.</summary>
    public async Task<bool> IsConnectedAsync() => (await redis.GetMultiplexerAsync()).IsConnected;
}
