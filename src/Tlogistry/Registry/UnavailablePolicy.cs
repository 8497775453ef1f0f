namespace Tlogistry.Registry;

/// <summary>What a tag request does when the log or the index cannot be reached.</summary>
internal enum UnavailablePolicy
{
    /// <summary>Refuse with 503: no tag is served unchecked (the default).</summary>
    Fail,

    /// <summary>
    /// <c>--on-log-unavailable serve</c>: serve upstream's manifest unchecked, marked
    /// <c>Tlog-Unverified: true</c>, and log it loudly; a moved tag then goes unnoticed.
    /// </summary>
    ServeUnverifiedUnsafe,
}
