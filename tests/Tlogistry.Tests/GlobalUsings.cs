// The test support kinds (see Support/README.md), visible to every test file.
global using Tlogistry.Tests.Support.Clients;
global using Tlogistry.Tests.Support.Data;
global using Tlogistry.Tests.Support.Doubles;
global using Tlogistry.Tests.Support.Processes;
