namespace Tlogistry.Oci;

/// <summary>What a request to the proxy's <c>/v2/</c> URL space asks for.</summary>
internal enum RouteKind
{
    /// <summary><c>GET /v2/</c>: the API version check.</summary>
    Base,

    /// <summary><c>/v2/&lt;name&gt;/manifests/&lt;tag or digest&gt;</c>.</summary>
    Manifest,

    /// <summary><c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>.</summary>
    Blob,

    /// <summary><c>/v2/&lt;name&gt;/tags/list</c>.</summary>
    TagsList,

    /// <summary><c>/v2/&lt;name&gt;/referrers/&lt;digest&gt;</c>.</summary>
    Referrers,

    /// <summary>Not a route of the proxy: 404 UNSUPPORTED.</summary>
    UnknownRoute,

    /// <summary>A write (push, delete, upload) or other non-read method: 405 UNSUPPORTED.</summary>
    WriteAttempt,

    /// <summary>A known route with an invalid name, tag or digest: 400.</summary>
    Invalid,
}
