namespace Tlogistry.Registry;

/// <summary>What a tag request does when the log or the index cannot be reached.</summary>
internal enum UnavailablePolicy
{
    /// <summary>Refuse with 503: no tag is served unchecked (the default).</summary>
    Fail,

    /// <summary>Serve upstream's manifest marked <c>Tlog-Unverified: true</c>, and log it loudly.</summary>
    Serve,
}
