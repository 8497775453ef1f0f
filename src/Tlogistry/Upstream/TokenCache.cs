using System.Collections.Concurrent;

namespace Tlogistry.Upstream;

/// <summary>
/// Bearer tokens per registry and scope, kept until shortly before they expire so that a
/// warm pull costs no token round trip.
/// </summary>
internal sealed class TokenCache
{
    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Until)> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public TokenCache(TimeProvider time)
    {
        _time = time;
    }

    public string? Get(string key) =>
        _tokens.TryGetValue(key, out var t) && t.Until > _time.GetUtcNow() ? t.Token : null;

    /// <summary>Stores a token for <paramref name="lifetime"/> minus a margin for clock skew and transit.</summary>
    public void Put(string key, string token, TimeSpan lifetime)
    {
        var margin = TimeSpan.FromSeconds(Math.Min(30, lifetime.TotalSeconds / 5));
        _tokens[key] = (token, _time.GetUtcNow() + lifetime - margin);
    }

    public void Remove(string key) => _tokens.TryRemove(key, out _);
}
