using System.Collections.Concurrent;

namespace Tlogistry.Upstream;

/// <summary>
/// Bearer tokens per registry and scope, kept until shortly before they expire so that a
/// warm pull costs no token round trip. The cache is bounded: requests naming ever new
/// repositories cannot grow it without limit.
/// </summary>
internal sealed class TokenCache
{
    public const int DefaultCapacity = 10_000;
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly int _capacity;

    public TokenCache(TimeProvider time)
        : this(time, DefaultCapacity)
    {
    }

    public TokenCache(TimeProvider time, int capacity)
    {
        _time = time;
        _capacity = capacity;
    }

    public int Count => _tokens.Count;

    public string? Get(string key) =>
        _tokens.TryGetValue(key, out var t) && t.Until > _time.GetUtcNow() ? t.Token : null;

    /// <summary>Stores a token for <paramref name="lifetime"/> minus a margin for clock skew and transit.</summary>
    public void Put(string key, string token, TimeSpan lifetime)
    {
        var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 5));
        if (_tokens.Count >= _capacity && !_tokens.ContainsKey(key))
        {
            Shrink();
        }

        _tokens[key] = (token, _time.GetUtcNow() + lifetime - margin);
    }

    /// <summary>Drops expired tokens, then, if still full, the half that expires soonest.</summary>
    private void Shrink()
    {
        var now = _time.GetUtcNow();
        foreach (var (k, v) in _tokens)
        {
            if (v.Until <= now)
            {
                _tokens.TryRemove(k, out _);
            }
        }

        if (_tokens.Count >= _capacity)
        {
            foreach (var (k, _) in _tokens.OrderBy(t => t.Value.Until).Take(Math.Max(1, _tokens.Count / 2)).ToList())
            {
                _tokens.TryRemove(k, out _);
            }
        }
    }

    public void Remove(string key) => _tokens.TryRemove(key, out _);
}
