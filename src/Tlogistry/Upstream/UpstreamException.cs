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
}
