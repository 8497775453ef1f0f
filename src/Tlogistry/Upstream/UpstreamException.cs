using Tlogistry.Oci;

namespace Tlogistry.Upstream;

/// <summary>An upstream failure, already translated into what the client should see.</summary>
internal sealed class UpstreamException : Exception
{
    public UpstreamException(int status, OciError error, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(error.Message, inner)
    {
        Status = status;
        Error = error;
        RetryAfter = retryAfter;
    }

    public UpstreamException()
        : this(502, new OciError(DistributionErrorCodes.Unknown, "upstream error"))
    {
    }

    /// <summary>502 UNKNOWN: upstream failed in a way the client can only retry.</summary>
    public UpstreamException(string message)
        : this(502, new OciError(DistributionErrorCodes.Unknown, message))
    {
    }

    /// <summary>502 UNKNOWN with the failure that caused it.</summary>
    public UpstreamException(string message, Exception inner)
        : this(502, new OciError(DistributionErrorCodes.Unknown, message), null, inner)
    {
    }

    public int Status { get; }

    public OciError Error { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>The status upstream answered with, when it answered at all.</summary>
    public int? UpstreamStatus { get; init; }

    /// <summary>
    /// Upstream did not answer the question: a 5xx or 429, or no answer at all (refused
    /// connection, timeout, broken transfer). An answer (404, 401, bytes that do not hash or do
    /// not parse, a destination the guard refused) is not a failure to answer.
    /// </summary>
    public bool FailedToAnswer => UpstreamStatus is int status
        ? status >= 500 || status == 429
        : Status == 502 && Error.Code == DistributionErrorCodes.Unknown;
}
