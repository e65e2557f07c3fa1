/**
 * Size limits a request must keep before cri-ts does any work for it. Where
 * kubelet or the API server enforce a limit on what becomes the request, the
 * same figure is used, so a request kubelet could send always passes. Where
 * Kubernetes sets none, the figure is far above any real pod and exists to
 * keep the work one request causes bounded (and below what a spawned
 * program can be handed: the kernel refuses an argument or environment
 * string over 128 KiB with E2BIG).
 */
export const LIMITS = {
  /**
   * Names and UIDs. kubelet sends DNS names (a pod name is a DNS subdomain of
   * at most 253 characters, a namespace and a container name DNS labels of
   * 63, apimachinery's NameIsDNSSubdomain / IsDNS1123Label), but CRI itself
   * sets no limit and other clients use longer ones (critest's container
   * names are 64 and more). The bound only keeps names far below what a
   * spawned program's argument may hold.
   */
  podName: 1024,
  namespace: 1024,
  uid: 1024,
  containerName: 1024,
  /** kubelet: a pod's hostname is a DNS label truncated to 63 (truncatePodHostnameIfNeeded); the kernel takes 64 (HOST_NAME_MAX). */
  hostname: 64,
  /**
   * apimachinery: all annotations of an object together, keys and values
   * counted in bytes, at most 256 KiB (ValidateAnnotationsSize,
   * TotalAnnotationSizeLimitB). kubelet copies them into the CRI config.
   */
  annotationsBytes: 256 * 1024,
  /**
   * apimachinery: a label key is at most 253 + 1 + 63 characters and a value
   * 63; kubelet adds its own io.kubernetes.* labels (the pod's name among
   * them, up to 253). No total is set, so labels get the annotations' 256 KiB.
   */
  labelsBytes: 256 * 1024,
  /** apimachinery: at most 3 nameservers and 32 search domains of 2048 characters in all (validatePodDNSConfig, MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars). */
  dnsServers: 3,
  dnsSearches: 32,
  dnsSearchChars: 2048,
  /** None in Kubernetes; a pod's ports become CNI portmap rules, one set per mapping. */
  portMappings: 1024,
  /** None in Kubernetes (each volume mount of a container); the kernel's own default per namespace is 100000 (fs.mount-max). */
  mounts: 4096,
  devices: 4096,
  /** None in Kubernetes, and service links add seven variables per service of the namespace, so thousands are real. */
  envEntries: 65536,
  /** None in Kubernetes; command plus args. */
  argsEntries: 65536,
  /** The kernel refuses a single argument or environment string longer than this (MAX_ARG_STRLEN, 32 pages). */
  execStringBytes: 128 * 1024,
  /**
   * execve takes arguments and environment together up to a quarter of the
   * stack limit (ARG_MAX: 2 MiB with the usual 8 MiB); an exec's arguments
   * get half of that, the process keeping the container's environment.
   */
  execArgsTotalBytes: 1024 * 1024,
  /** A container's command, args and environment together. */
  processTotalBytes: 2 * 1024 * 1024,
  /** PATH_MAX: no path the kernel takes is longer. */
  pathBytes: 4096,
  /** sysctls: as many as Linux has namespaced ones, with room to spare. */
  sysctls: 1024,
  /**
   * kubelet's CRI client sends at most 16 MiB per message (cri-client's
   * maxMsgSize); the gRPC server refuses more before decoding.
   */
  requestBytes: 16 * 1024 * 1024,
} as const;
