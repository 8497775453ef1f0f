namespace Tlogistry.Oci;

/// <summary>Codes CNCF Distribution answers with beyond the OCI list, which clients already know.</summary>
internal static class DistributionErrorCodes
{
    /// <summary>503: the service cannot answer now.</summary>
    public const string Unavailable = "UNAVAILABLE";

    /// <summary>An error with no better code; tlogistry uses it for 502 upstream failures.</summary>
    public const string Unknown = "UNKNOWN";

    /// <summary>416: the range asked for cannot be served from the blob upstream holds.</summary>
    public const string RangeInvalid = "RANGE_INVALID";

    /// <summary>400: a paging parameter (n, last, or a bundle export's after/limit) is out of range.</summary>
    public const string PaginationNumberInvalid = "PAGINATION_NUMBER_INVALID";
}
