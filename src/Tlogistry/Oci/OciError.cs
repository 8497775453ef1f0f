namespace Tlogistry.Oci;

/// <summary>
/// One entry of an OCI distribution error response. <see cref="Code"/> is one of
/// <see cref="OciErrorCodes"/>; <see cref="Message"/> is meant for a person;
/// <see cref="Detail"/> is optional structured data serialized as JSON.
/// </summary>
internal sealed record OciError(string Code, string Message, object? Detail = null);
