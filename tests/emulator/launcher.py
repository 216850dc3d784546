"""A more realistic AWS emulator: moto's server, monkeypatched in-process.

    python launcher.py --host 127.0.0.1 --port PORT

Serves the same WSGI app as ``moto_server`` (``DomainDispatcherApplication`` behind
werkzeug's threaded ``run_simple`` with moto's request handler), so it prints the same
" * Running on http://HOST:PORT" line, honours moto's own variables
(``MOTO_IAM_LOAD_MANAGED_POLICIES``, ``MOTO_ENABLE_RECORDING``, ...) and serves every
account and region, until it is killed (SIGTERM/SIGINT exit cleanly). moto's installed files
are not modified: the extensions below patch its classes after import, and the fault
emulator (``faults.py``, see "Faults" below) wraps the app as a WSGI middleware.

Nothing runs in the background: every delay is evaluated lazily, by comparing a resource's
creation (or change) time with the clock when it is read.

Modules
-------

This file keeps the settings (the variables below, all validated before moto is imported)
and the server. The extensions are modules beside it, imported by their plain names (run as
a script, the script's directory is on ``sys.path``); this docstring documents what they do
on the wire, their own docstrings why they exist and how they work:

* ``timed_statuses.py``: creation delays (``MACROCTL_EMULATOR_CREATE_SECONDS`` and the fault
  configuration's ``create_seconds``).
* ``ecs_deployments.py``: ECS rolling deployments (``MACROCTL_EMULATOR_ECS``,
  ``MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS``, ``MACROCTL_EMULATOR_BROKEN_IMAGE``).
* ``idempotent_creates.py``: "Idempotent creates" below.
* ``tagging_api.py``: "Tagging API" below.
* ``lingering.py``: "Teardown" below (``MACROCTL_EMULATOR_LINGER_SECONDS``).
* ``elasticache_teardown.py``: "Teardown" below (ElastiCache deletions).
* ``ecs_capacity.py``: "Capacity providers" below.
* ``ecs_tasks.py``: one-off tasks (RunTask) that start, run a command the emulator
  understands (``echo``, ``sleep``, ``exit CODE``), write its lines to CloudWatch Logs as the
  awslogs driver does, and stop with its exit code; a broken image fails to start (under
  ``MACROCTL_EMULATOR_ECS``).
* ``flow_logs.py``: VPC flow logs as EC2 reports them: ``DeleteFlowLogs`` of an unknown id
  answers 200 with an ``Unsuccessful`` item ``InvalidFlowLogId.NotFound`` (moto: an error,
  nothing deleted), and the tagging API names flow logs ``...:vpc-flow-log/fl-...``
  (``ec2:vpc-flow-log``; moto: ``flow-logs/``).
* ``s3_state.py``: S3 conditional writes are atomic: a conditional ``PutObject`` or
  ``DeleteObject`` (``If-Match`` / ``If-None-Match``) checks and writes under one lock, so of
  two creates of a key sent together exactly one wins and the other gets
  ``412 PreconditionFailed``, as on S3 (moto checks, then writes, in two steps); and
  ``GetBucketVersioning`` answers with S3's ``VersioningConfiguration`` root element.
* ``rds_proxy.py``: "RDS Proxy" below.
* ``cognito_pools.py``: "Cognito" below.
* ``acm_validation.py``: ACM DNS validation. Each name of a certificate gets its own
  validation CNAME (derived from the account and the name: the same for every certificate
  of the account), left out of ``DescribeCertificate`` for
  ``MACROCTL_EMULATOR_ACM_RECORD_SECONDS`` (default 0.5) after the request; a DNS-validated
  certificate stays ``PENDING_VALIDATION`` until every name's CNAME exists with ACM's value
  in a Route 53 hosted zone of the same account, then is ``ISSUED``
  ``MACROCTL_EMULATOR_ACM_ISSUE_SECONDS`` (default 1) later (moto: ``ISSUED`` 60 s after
  the request whatever DNS holds, one CNAME for every name).
* ``wafv2.py``: "WAF" below.
* ``cloudfront.py``: "CloudFront" below (``MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS``).
* ``app_security.py``: ``DeleteLoadBalancer`` of a load balancer whose
  ``deletion_protection.enabled`` is ``true`` answers ``OperationNotPermitted`` and deletes
  nothing (moto: deleted); ``RegisterTaskDefinition`` of a container whose ``mountPoints``
  name a ``sourceVolume`` the task definition's ``volumes`` do not declare answers a
  ``ClientException`` naming the volume (moto: registered).; a new application load balancer reports
  ``routing.http.desync_mitigation_mode`` ``defensive`` and
  ``routing.http.drop_invalid_header_fields.enabled`` ``false``, AWS's defaults (moto: only
  attributes once set).
* ``iam_enforcement.py``: with moto's ``INITIAL_NO_AUTH_ACTION_COUNT`` set (IAM policies
  enforced after that many requests), actions named as IAM names them (``cloudwatch:``,
  ``tag:``, S3's bucket subresources), refusals in each service's own error shape
  (``UnauthorizedOperation``, ``AccessDeniedException``, ``AuthorizationError``,
  ``AccessDenied``), and requests whose resource moto does not know checked by their action
  alone (IAM role and S3 ARNs are checked; conditions are not evaluated).
* ``faults.py``: the fault middleware and its control endpoint ("Faults" below), built from
  ``fault_calls.py`` (which AWS call a request is), ``fault_config.py`` (the configuration
  and its rules), ``fault_responses.py`` (AWS error answers per protocol, lost responses),
  ``fault_freshness.py`` (``not_found_window``), ``fault_iam_propagation.py``
  (``iam_propagation``) and ``fault_client_tokens.py`` ("Client tokens" below).

Environment variables
---------------------

``MACROCTL_EMULATOR_CREATE_SECONDS``  (default: empty, i.e. moto's instant behaviour)
    Comma-separated ``KIND=SECONDS`` (seconds may be fractional), for example
    ``rds=3,elasticache=3,nat=2,alb=2``. Kinds:

    * ``rds``: a DB instance reports ``DBInstanceStatus`` ``creating`` for N seconds after
      it is created (CreateDBInstance, read replicas, restores), then ``available``; after
      ModifyDBInstance with ``ApplyImmediately`` it reports ``modifying`` for N seconds.
    * ``elasticache``: a replication group (``Status``, and its node groups) and a cache
      cluster (``CacheClusterStatus``; also any cache cluster that names the replication
      group) report ``creating`` for N seconds, then ``available``. moto itself does not
      create CacheCluster records for a replication group's member clusters.
    * ``nat``: a NAT gateway reports ``pending`` for N seconds, then ``available``.
    * ``alb``: an ELBv2 load balancer reports ``provisioning`` for N seconds, then
      ``active``.

    A status that moto changes to something else meanwhile (``deleting``, ``stopped``, ...)
    is reported as moto has it. The fault configuration's ``create_seconds`` overrides
    these at run time, for resources created afterwards (see "Faults").

``MACROCTL_EMULATOR_ECS``  (default ``1``; ``0`` keeps moto's ECS deployment behaviour)
    ECS rolling deployments for services with the ECS deployment controller (CreateCluster
    is idempotent either way, see "Idempotent creates"):

    * CreateService: one PRIMARY deployment (``ecs-svc/<19 digits>``) for the service's task
      definition, ``rolloutState`` IN_PROGRESS, runningCount 0, pendingCount = desired.
      After the rollout time it is COMPLETED (running = desired, pending 0), the service's
      runningCount = desired, and the events "(service S) (deployment ID) deployment
      completed." and "(service S) has reached a steady state." are written.
      ``deploymentConfiguration`` (filled with ECS's defaults: circuit breaker off,
      maximumPercent 200, minimumHealthyPercent 100), ``enableExecuteCommand``,
      ``healthCheckGracePeriodSeconds``, ``enableECSManagedTags``, ``placementConstraints``,
      ``placementStrategy`` and ``capacityProviderStrategy`` given to CreateService are kept
      (moto 5.2.5 drops them); the service gets a ``createdAt``.
    * UpdateService with a task definition other than the service's current one, or with
      ``forceNewDeployment``: a new PRIMARY deployment IN_PROGRESS; the previous PRIMARY
      becomes ACTIVE (still counting its running tasks); the service's ``taskDefinition`` is
      the new one (as a full ARN). After the rollout time:
        - images of the new task definition do not match ``MACROCTL_EMULATOR_BROKEN_IMAGE``:
          the deployment COMPLETES, the other deployments are removed, events as above;
        - an image matches: the deployment is FAILED (running 0, failedTasks > 0,
          rolloutStateReason "ECS deployment circuit breaker: tasks failed to start.", event
          "(service S) (deployment ID) deployment failed: tasks failed to start."). If the
          service's circuit breaker has ``enable`` and ``rollback`` on and an earlier
          deployment had COMPLETED, ECS-style rollback follows: the failed deployment becomes
          ACTIVE, a new PRIMARY deployment for the last completed deployment's task
          definition starts (the service's ``taskDefinition`` returns to it) and the event
          "(service S) rolling back to deployment ID-OF-LAST-COMPLETED." is written; the
          rollback completes after another rollout time, and the failed deployment is then
          kept with status INACTIVE (rolloutState FAILED) until the next new deployment.
          Without rollback the failed deployment stays PRIMARY/FAILED, the previous
          deployment stays ACTIVE with its tasks.
      UpdateService that only changes desiredCount adjusts the PRIMARY deployment (at once
      when it is COMPLETED). Service ``runningCount``/``pendingCount`` (and the cluster's
      task counts) are the sums over the PRIMARY and ACTIVE deployments. Service ``events``
      are newest first (at most 100), each with id, createdAt and message.
    * State advances lazily on DescribeServices, ListServices and UpdateService.

``MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS``  (default ``3``)
    How long an ECS deployment takes to complete (or to fail).

``MACROCTL_EMULATOR_BROKEN_IMAGE``  (default ``:broken``)
    A Python regular expression (``re.search``); a deployment whose task definition has a
    container image matching it fails.

``MACROCTL_EMULATOR_LINGER_SECONDS``  (default ``0``: off, moto's instant teardown)
    Seconds (may be fractional; negative counts as 0) that the network interfaces of a
    deleted load balancer, ECS service, RDS instance, ElastiCache replication group or NAT
    gateway linger, and that a deleted NAT gateway stays ``deleting``. See "Teardown".

``MACROCTL_EMULATOR_WAF_UNAVAILABLE_SECONDS``  (default ``0``: off)
    Seconds (may be fractional) after a load balancer or a web ACL is created during which
    AssociateWebACL naming it answers HTTP 400 ``WAFUnavailableEntityException`` "AWS WAF
    couldn’t retrieve the resource that you requested. Retry your request." and associates
    nothing, as WAF does until it knows them (see "WAF").
``MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS``  (default ``1``)
    Seconds (may be fractional) a CloudFront distribution reads ``InProgress`` after each
    create and update, before ``Deployed`` (see "CloudFront"). Small by default: staging and
    prod have a distribution, so most tests deploy one.

``MACROCTL_EMULATOR_WIRE_ONLY``  (default ``0``)
    ``1``: moto as installed except where its answers do not parse: only ``s3_state.py`` is
    applied (``GetBucketVersioning``'s root element, which the Rust SDK refuses, and atomic
    conditional writes), and every other variable here is ignored. The test harness's plain
    emulator (``Emulator::start``) runs this, so that tests on moto's own behaviour can still
    read a bucket's versioning.

``MACROCTL_EMULATOR_FAULTS``  (default: empty, i.e. no faults)
    The initial fault configuration: the JSON document ``POST /_macroctl/faults`` takes (see
    "Faults"). It is validated at start; a bad one stops the launcher with a message naming
    the bad key.

Faults
------

Real AWS loses responses, drops connections, throttles, fails with 5xx, cannot find what was
just created and cannot assume a role just created; it also honours client tokens, which
moto ignores. ``faults.py`` does all of that in front of moto, so that macroctl's resilience
can be tested. It is always installed and inactive until configured.

Only SigV4-signed query and JSON API calls are faulted. A call is identified by its
*service*, the signing name of the ``Authorization`` credential scope (``ec2``, ``rds``,
``elasticache``, ``iam``, ``elasticloadbalancing``, ``sns``, ``monitoring``, ``sts``,
``ecs``, ``ecr``, ``logs``, ``secretsmanager``, ``application-autoscaling``), and its
*action*: the ``Action`` form field (query protocols), or what follows the last ``.`` of
``X-Amz-Target`` (JSON protocols). It is *mutating* unless the action starts with Describe,
List, Get, Search, Lookup, BatchGet, Check or Validate. moto gets the request body
unchanged, and records (``MOTO_ENABLE_RECORDING``) exactly the calls it performs: a call
refused by a fault never reaches moto. ``/moto-api/...`` and ``/_macroctl/...`` are never
faulted; a ``/moto-api/reset`` also forgets fresh resources, propagating roles and tokens.

Control endpoint (answered by the middleware; never passed to moto, never recorded):

* ``POST /_macroctl/faults`` with a JSON configuration: replaces the whole configuration and
  resets the counters (and what is fresh or propagating); answers like GET. A bad
  configuration answers HTTP 400 ``{"error": "rules[0].probability: must be from 0 to 1"}``
  (the message starts with the bad key) and leaves the configuration in force.
* ``GET /_macroctl/faults``: ``{"config": <the configuration, with defaults filled in>,
  "injected": {FAULT: {"SERVICE:Action": N}}`` for the six faults below,
  ``"replayed": {"SERVICE:Action": N}`` (client-token replays), ``"requests": N`` (AWS
  calls since the configuration was set), ``"first_request_at": T}`` (when the first
  request other than ``/_macroctl/...`` and ``/moto-api/...`` arrived since the
  configuration was set, in Unix seconds as a float, before its ``latency_ms``; ``null``
  until then: a client's start-up is that time minus when its process started).
* ``DELETE /_macroctl/faults``: back to no faults.

Configuration (every key optional)::

    {
      "seed": 7,
      "rules": [
        {"fault": "lose_response", "service": "*", "action": "*", "mutating": true,
         "probability": 0.15},
        {"fault": "drop_connection", "service": "ec2", "action": "CreateVpc", "count": 1,
         "skip": 0},
        {"fault": "throttle", "probability": 0.2},
        {"fault": "server_error", "status": 503, "probability": 0.05}
      ],
      "not_found_window": {"seconds": 2.0, "services": ["*"]},
      "iam_propagation": {"seconds": 10.0},
      "create_seconds": {"rds": 60},
      "latency_ms": 50
    }

* ``seed`` (integer, default 0) seeds the ``random.Random`` that probabilities draw from.
* ``rules``: ``fault`` is one of the four below; ``service`` and ``action`` are fnmatch
  globs (default ``*``) over the SigV4 signing name and the API action (query, JSON, and the
  REST calls of S3, Route 53 and CloudFront, named from their method and path in
  ``fault_calls.py``); ``mutating`` true matches only mutating calls, false only reads,
  absent both; ``probability`` (0 to 1, default 1), ``count`` (fire at most N times,
  default unlimited), ``skip`` (let the first K matching calls through, default 0);
  ``status`` (500 or 503, default 500) for ``server_error`` only. Rules are tried in order
  until one fires; a rule counts a call as matching only when it is tried. A probability
  below 1 draws once from the seeded generator per try, so a given call sequence always
  gets the same faults.
* ``not_found_window``: ``seconds`` (required) and ``services`` (signing-name globs,
  default ``["*"]``).
* ``iam_propagation``: ``seconds`` (required).
* ``create_seconds``: ``KIND: SECONDS`` for the kinds of ``MACROCTL_EMULATOR_CREATE_SECONDS``;
  the kinds not given keep that variable's value. Applies to resources created afterwards.
* ``latency_ms`` (number, at least 0, may be fractional; default 0): every request but
  ``/_macroctl/...`` and ``/moto-api/...`` (signed or not, faulted or not) waits this many
  milliseconds before it is handled, as AWS takes tens of milliseconds to answer where moto
  takes about one. The wait is a sleep in the request's own thread (werkzeug serves each
  request in a thread), so concurrent calls wait at the same time, as on AWS: two calls sent
  together take ``latency_ms`` in all, not twice that. For measuring how many round trips a
  client waits for (``scripts/bench.py``).

What each fault does on the wire:

* ``lose_response``: moto performs the call completely, then the client's connection is
  shut down and closed without a response byte. The SDK sees a dispatch (IO) failure and,
  with retries on, sends the same request again: the create is done twice unless a client
  token makes it idempotent.
* ``drop_connection``: the connection is closed the same way without performing the call.
* ``throttle``: not performed; EC2 answers HTTP 503 ``RequestLimitExceeded`` ("Request limit
  exceeded."), the other query services HTTP 400 ``Throttling`` ("Rate exceeded", in an
  ``ErrorResponse`` with the service's xmlns), JSON services HTTP 400
  ``ThrottlingException`` (``__type``, ``x-amzn-ErrorType``, ``application/x-amz-json-1.1``).
  Every error carries an ``x-amzn-RequestId`` header (and EC2's ``RequestID`` element, the
  query services' ``RequestId``).
* ``server_error``: not performed; 500: EC2 ``InternalError``, query and JSON services
  ``InternalFailure``; 503: EC2 ``Unavailable``, query ``ServiceUnavailable``, JSON
  ``ServiceUnavailableException``, worded as AWS words them.
* ``not_found_window`` (eventual consistency). Every successful response is searched for
  EC2 ids (``vpc-``, ``subnet-``, ``igw-``, ``eipalloc-``, ``nat-``, ``rtb-``,
  ``rtbassoc-``, ``sg-``, ``sgr-``) and ARNs, whether configured or not. When a mutating
  call of a covered service succeeds, each id or ARN of that service in its response that
  no earlier response and not the request itself named becomes *fresh* for ``seconds``; so
  does the name a named create gives (the first time it gives it): ELB CreateTargetGroup and
  CreateLoadBalancer ``Name``, RDS ``DBInstanceIdentifier``, ``DBSubnetGroupName``,
  ``DBParameterGroupName``, ElastiCache ``ReplicationGroupId``, ``CacheSubnetGroupName``,
  IAM CreateRole ``RoleName``, Logs ``logGroupName``, ECR ``repositoryName``, ECS
  ``serviceName``, ``clusterName``, ``family`` (a new task definition is also fresh as
  ``family:revision``), Secrets Manager and SNS ``Name``, CloudWatch PutMetricAlarm
  ``AlarmName``. While fresh:

  - a later call to the same service (account and region) that names it (any form value
    but ``Action``, ``Version``, filters and tags; any JSON string but under ``tags``) is not
    performed and answers the service's NotFound for it: EC2 by id prefix
    (``InvalidVpcID.NotFound`` "The vpc ID 'vpc-1' does not exist", and likewise
    ``InvalidSubnetID.NotFound``, ``InvalidInternetGatewayID.NotFound``,
    ``InvalidAllocationID.NotFound``, ``NatGatewayNotFound``,
    ``InvalidRouteTableID.NotFound``, ``InvalidAssociationID.NotFound``,
    ``InvalidGroup.NotFound``, ``InvalidSecurityGroupRuleId.NotFound``); ELB
    ``TargetGroupNotFound``, ``LoadBalancerNotFound``, ``ListenerNotFound``,
    ``RuleNotFound``; ECS
    ``ServiceNotFoundException``, ``ClusterNotFoundException``, ``ClientException`` "Unable
    to describe task definition."; RDS ``DBInstanceNotFound``, ``DBSubnetGroupNotFoundFault``,
    ``DBParameterGroupNotFound`` (404); ElastiCache ``ReplicationGroupNotFoundFault`` (404),
    ``CacheSubnetGroupNotFoundFault``; IAM ``NoSuchEntity`` (404); Secrets Manager, Logs
    ``ResourceNotFoundException``; ECR ``RepositoryNotFoundException``; SNS ``NotFound``
    (404); CloudWatch ``ResourceNotFound`` (404); Application Auto Scaling
    ``ObjectNotFoundException`` (codes and statuses as moto raises them). A create repeating
    the name that made it fresh (a retry of that create) goes to moto, which answers its
    own AlreadyExists (or, for the creates under "Idempotent creates", the existing
    resource);
  - reads that answer lists leave it out instead, as AWS does: EC2 Describe* drop the
    ``<item>`` whose id is fresh from ``vpcSet``, ``subnetSet``, ``internetGatewaySet``,
    ``addressesSet``, ``natGatewaySet``, ``routeTableSet``, ``associationSet``
    (``routeTableAssociationId``), ``securityGroupInfo`` and ``securityGroupRuleSet``
    (default xmlns and XML declaration kept, Content-Length fixed); ECS DescribeServices and
    DescribeClusters move it to ``failures`` with reason ``MISSING``; ECS ListTaskDefinitions,
    Logs DescribeLogGroups and CloudWatch DescribeAlarms omit it (these never answer NotFound
    for it).

  Each refused call and each answer with something left out counts once.
* ``iam_propagation``: for ``seconds`` after a role was created or changed (IAM
  CreateRole, PutRolePolicy, AttachRolePolicy, UpdateAssumeRolePolicy), a call handing that
  role (``arn:aws:iam::ACCOUNT:role/[PATH/]NAME``) to a service is not performed: ECS
  RegisterTaskDefinition (``executionRoleArn``/``taskRoleArn``) answers ``ClientException``
  "Role is not valid"; ECS CreateService, UpdateService, RunTask (the ARN anywhere in the
  body) ``InvalidParameterException`` "Unable to assume role and validate the specified
  targetGroupArn. ..."; RDS CreateDBInstance/ModifyDBInstance (``MonitoringRoleArn``)
  ``InvalidParameterValue`` "IAM role ARN value is invalid or does not include the
  required permissions for: ENHANCED_MONITORING"; Application Auto Scaling
  RegisterScalableTarget (``RoleARN``) ``ValidationException`` "Unable to assume IAM role:
  ARN"; RDS CreateDBProxy/ModifyDBProxy (``RoleArn``) ``InvalidParameterValue`` "IAM role
  ARN value is invalid or does not include the required permissions for: DB proxy secret
  access (ARN)". For the same ``seconds`` after S3 PutBucketPolicy, CloudTrail
  CreateTrail/UpdateTrail naming that bucket (``S3BucketName``) answers
  ``InsufficientS3BucketPolicyException`` "Incorrect S3 bucket policy is detected for bucket:
  B", and ELB ModifyLoadBalancerAttributes naming it (``access_logs.s3.bucket``)
  ``InvalidConfigurationRequest`` "Access Denied for bucket: B. Please check S3bucket
  permission". All HTTP 400.

Client tokens (always on, not a fault): moto ignores EC2 ``ClientToken`` (CreateNatGateway,
CreateRouteTable, RunInstances, ...) and ECS ``clientToken`` (CreateService, RunTask); it
already honours Secrets Manager CreateSecret ``ClientRequestToken``. For the former, the
first successful response is remembered per (account, region, service, action, token),
including one lost by ``lose_response``; a later call with the same token and the same other
parameters gets that same response without anything being performed. EC2 answers one with
different parameters ``IdempotentParameterMismatch`` (HTTP 400); ECS passes it to moto.

Idempotent creates
------------------

Always on (not a fault, independent of ``MACROCTL_EMULATOR_ECS``): three creates that AWS
documents as idempotent by name, which moto 5.2.5 is not. A repeat returns the existing
resource as it is now (same ARN; its tags are not changed, whatever the repeat asks for) and
creates nothing:

* ELBv2 CreateLoadBalancer with the name of an existing load balancer (of that account and
  region): returned when its type (default ``application``), scheme (default
  ``internet-facing``), subnets (``Subnets`` and ``SubnetMappings``' ``SubnetId``, in any
  order) and security groups (in any order) are the requested ones; otherwise HTTP 400
  ``DuplicateLoadBalancerName`` "A load balancer with the same name 'NAME' exists, but with
  different settings". moto would create a second load balancer with the same name.
* ELBv2 CreateListener on a load balancer that already has a listener on that port:
  returned when its protocol, its default certificate (CreateListener takes exactly one)
  and its default actions (compared as moto stores them, with stickiness and weight
  defaults filled in) are the requested ones; otherwise HTTP 400 ``DuplicateListener`` "A
  listener already exists on this port for this load balancer". moto would create a second
  listener on that port. ``SslPolicy`` and ``AlpnPolicy`` are not compared.
* ECS CreateCluster with the name of an ACTIVE cluster: returned unchanged (settings,
  configuration, capacity providers, tags, task and service counts). moto would replace it
  with a new cluster with the default settings and no tags. A name whose cluster was deleted
  (INACTIVE) gets a new cluster, as in moto.

Capacity providers
------------------

Always on (independent of ``MACROCTL_EMULATOR_ECS``), as ECS does where moto 5.2.5 does not:

* CreateService with both ``launchType`` and ``capacityProviderStrategy`` answers HTTP 400
  ``InvalidParameterException`` "Specifying both a launch type and capacity provider
  strategy is not supported. ..."; with neither, the cluster's default strategy (when it
  has one) is the service's. A strategy naming a provider the cluster does not list answers
  ``InvalidParameterException`` "The specified capacity provider strategy cannot contain a
  capacity provider that is not associated with the cluster. ..." (CreateService and
  UpdateService).
* A service with a strategy reports it and no ``launchType`` (moto: ``launchType EC2`` and
  no strategy), and so do its deployments.
* UpdateService with a ``capacityProviderStrategy`` that differs from the service's (or on a
  service that runs by launch type) without ``forceNewDeployment`` answers
  ``InvalidParameterException`` "When switching from launch type to capacity provider
  strategy on an existing service, or making a change to a capacity provider strategy on a
  service that is already using one, you must force a new deployment."; with it, the
  service takes the strategy (its ``launchType`` goes) and, under ``MACROCTL_EMULATOR_ECS``,
  starts a new deployment.
* PutClusterCapacityProviders of a provider that is neither ``FARGATE``, ``FARGATE_SPOT`` nor
  one created with CreateCapacityProvider answers ``InvalidParameterException`` "The
  specified capacity provider does not exist. ..."; leaving out one an ACTIVE service's
  strategy uses answers "The specified capacity provider is in use and cannot be removed.".

Tagging API
-----------

Always on: Resource Groups Tagging API ``GetResources`` pages and covers what macroctl tags
as AWS does, where moto 5.2.5 does not:

* Paging. A page holds up to ``ResourcesPerPage`` resources (1-100, default 50). Only when
  the request gives ``TagsPerPage`` (100-500) is a page also limited to that many tags, a
  resource without tags counting as one, a resource never split across pages (100 tags per
  page and 10 tags each: 10 resources a page). moto applies a ``TagsPerPage`` of 100
  whether asked or not and stops one resource short of it, so a page of resources with 4
  tags held 24 whatever ``ResourcesPerPage`` said. The first request lists every match;
  ``PaginationToken`` names that listing and where the next page starts, and can be used
  again for 15 minutes after the listing's last token was issued: a page request repeated
  (a retry after a lost response) gets the same page and the same next token (moto forgot a
  token once used and answered ``PaginationTokenExpiredException``). An unknown or expired
  token answers HTTP 400 ``PaginationTokenExpiredException`` "Token does not exist". The
  last page has an empty ``PaginationToken`` (moto: none).
* Coverage, beside what moto reports: RDS DB subnet groups
  (``arn:aws:rds:REGION:ACCOUNT:subgrp:NAME``, resource type ``rds:subgrp``) and DB
  parameter groups (``...:pg:NAME``, ``rds:pg``), names lowercased as RDS stores them;
  Elastic IPs (``arn:aws:ec2:REGION:ACCOUNT:elastic-ip/eipalloc-...``, ``ec2:elastic-ip``);
  ECR repositories (``arn:aws:ecr:REGION:ACCOUNT:repository/NAME``, ``ecr:repository``),
  also for GetTagKeys, GetTagValues, TagResources and UntagResources. As for moto's own
  kinds, only resources with tags are returned, and ``TagFilters`` (AND across filters,
  any of a filter's values), ``ResourceTypeFilters`` and ``ResourceARNList`` apply. Deleted
  (``INACTIVE``) ECS services and clusters are left out, as on AWS (moto lists them).

RDS Proxy
---------

Always on: RDS Proxy calls answer as on AWS where moto 5.2.5 does not:

* ``ModifyDBProxy`` (moto has none) sets what it is given of ``Auth``, ``RequireTLS``,
  ``IdleClientTimeout`` (kept within 1-28800), ``DebugLogging``, ``RoleArn``,
  ``SecurityGroups`` and ``NewDBProxyName``, and answers the proxy as DescribeDBProxies does.
* An unknown ``DBProxyName`` answers HTTP 400 ``DBProxyNotFoundFault`` on DeleteDBProxy,
  DescribeDBProxyTargets, DescribeDBProxyTargetGroups, ModifyDBProxyTargetGroup,
  ModifyDBProxy, RegisterDBProxyTargets and DeregisterDBProxyTargets (moto: a ``KeyError``,
  HTTP 500); an unknown target group ``DBProxyTargetGroupNotFoundFault``.
* RegisterDBProxyTargets of an instance or cluster already registered answers
  ``DBProxyTargetAlreadyRegisteredFault`` (moto registers it twice), of an instance that does
  not exist ``DBInstanceNotFound``; an instance target gets the instance's endpoint address
  and port. DeregisterDBProxyTargets of one not registered answers
  ``DBProxyTargetNotFoundFault``.
* Times: a proxy reads ``creating`` for the ``rds`` creation time of
  ``MACROCTL_EMULATOR_CREATE_SECONDS`` (or the fault configuration's ``create_seconds``) and
  ``modifying`` for as long after ModifyDBProxy, then ``available``; a target's
  ``TargetHealth.State`` is ``REGISTERING`` for that time after its registration, then
  ``AVAILABLE`` (moto: ``REGISTERING`` on the first read, whenever it comes). With 0 seconds
  both are ready at once.

Teardown
--------

Always on, ElastiCache deletions finish as on AWS (moto keeps a deleted replication group
``deleting`` for ever and has no DeleteCacheSubnetGroup):

* A replication group deleted with DeleteReplicationGroup reads ``deleting`` for the
  ``elasticache`` creation time of ``MACROCTL_EMULATOR_CREATE_SECONDS`` (0 by default), then
  is gone, with its member cache clusters: DescribeReplicationGroups of it answers
  ``ReplicationGroupNotFoundFault``.
* DeleteCacheSubnetGroup answers ``CacheSubnetGroupNotFoundFault`` for an unknown name and
  HTTP 400 ``CacheSubnetGroupInUse`` while a replication group or cache cluster not yet gone
  uses the group; otherwise it deletes it.

Only when ``MACROCTL_EMULATOR_LINGER_SECONDS`` (L below) is more than 0; otherwise every
delete is moto's, effective at once. On AWS the elastic network interfaces of a deleted
resource stay for minutes, and what they sit in cannot be deleted meanwhile:

* When one of these deletes succeeds (in moto's own terms: its errors are unchanged), the
  subnets and security groups the resource used are *held* for L seconds from then:
    - ELBv2 DeleteLoadBalancer (any type): the load balancer's subnets and security groups;
    - ECS DeleteService of a service not yet INACTIVE: the subnets and security groups of
      its ``networkConfiguration.awsvpcConfiguration``;
    - RDS DeleteDBInstance: the subnets of the instance's DB subnet group and its
      ``VpcSecurityGroupIds`` (a cluster member without its own: the cluster's);
    - ElastiCache DeleteReplicationGroup of a group not yet ``deleting``: the subnets of its
      cache subnet group and its ``SecurityGroupIds``;
    - EC2 DeleteNatGateway of a gateway not yet ``deleting`` or ``deleted``: its subnet, and
      its Elastic IP allocations.
  A subnet or group held by several resources is held until the last hold ends. Holds are
  per account and region, and a ``/moto-api/reset`` forgets them.
* While a subnet is held, EC2 DeleteSubnet answers HTTP 400 ``DependencyViolation`` "The
  subnet 'subnet-1' has dependencies and cannot be deleted."; while a security group is
  held, DeleteSecurityGroup (by ``GroupId`` or ``GroupName``) answers HTTP 400
  ``DependencyViolation`` "resource sg-1 has a dependent object". Nothing is deleted.
  Afterwards both are moto's again (the delete succeeds).
* While a NAT gateway's Elastic IP is held, ReleaseAddress of it (``AllocationId``, or
  ``PublicIp``) answers HTTP 400 ``InvalidIPAddress.InUse`` "Address 1.2.3.4 is in use."
  (its public IP) and releases nothing.
* DeleteNatGateway leaves the gateway ``deleting`` (moto: ``deleted`` at once) for L
  seconds, then DescribeNatGateways reports it ``deleted`` (its ``state`` filter sees the
  same). DeleteNatGateway of a ``deleting`` gateway answers as before and changes nothing.

All EC2 errors are in EC2's ``<Response><Errors>`` format with a ``RequestID``. What is not
modelled: the lingering interfaces themselves (DescribeNetworkInterfaces is moto's: no
interfaces for load balancers, services or databases, and a NAT gateway's interface stays
for good), and dependencies of resources that still exist (moto lets a subnet or group in
use by a live load balancer be deleted, and releases the Elastic IP of a live NAT gateway).

Cognito
-------

Always on (``cognito_pools.py``):

* DeleteUserPool of a pool whose ``DeletionProtection`` is ``ACTIVE`` answers HTTP 400
  ``InvalidParameterException`` "The user pool cannot be deleted because deletion protection
  is activated. Deletion protection must be inactivated first." and deletes nothing.
* UpdateUserPool keeps ``UsernameAttributes``, ``AliasAttributes`` and
  ``UsernameConfiguration`` (creation-only on AWS; moto forgets them), does not store the
  request's ``UserPoolId``, and its ``MfaConfiguration`` is what GetUserPoolMfaConfig reports
  too; SetUserPoolMfaConfig's is what DescribeUserPool reports too (moto keeps two copies).

WAF
---

Always on (``wafv2.py``):

* CreateWebACL of a name the scope already has answers HTTP 400 ``WAFDuplicateItemException``
  (moto: ``WafV2DuplicateItem``).
* DeleteWebACL (of a web ACL that exists, with its current lock token) answers HTTP 400
  ``WAFAssociatedItemException`` and deletes nothing while a resource is associated with it
  (AssociateWebACL), or, for a CLOUDFRONT-scope web ACL, while a CloudFront distribution's
  ``WebACLId`` is its ARN.
* AssociateWebACL replaces the web ACL the resource had (moto kept it in both), and answers
  ``WAFNonexistentItemException`` for an ELBv2 load balancer the region does not have (and,
  with ``MACROCTL_EMULATOR_WAF_UNAVAILABLE_SECONDS``, ``WAFUnavailableEntityException`` for
  one or a web ACL created moments ago).
* A call with ``Scope`` ``CLOUDFRONT`` (CreateWebACL, GetWebACL, ListWebACLs, UpdateWebACL,
  DeleteWebACL) signed for a region other than us-east-1 answers HTTP 400
  ``WAFInvalidParameterException``; a call naming a web ACL by ARN (GetWebACL ``ARN``,
  ListTagsForResource, TagResource and UntagResource ``ResourceARN``, AssociateWebACL
  ``WebACLArn``) in another region than the one it was signed for answers
  ``WAFNonexistentItemException`` (moto served both from wherever the ARN or scope pointed).

* The tagging API's GetResources (and GetTagKeys, GetTagValues, TagResources,
  UntagResources) covers web ACLs (resource type ``wafv2:webacl``): a region's REGIONAL ones,
  and in us-east-1 also the CLOUDFRONT-scope ones. moto's covers none.

moto already checks lock tokens (a stale one: ``WAFOptimisticLockException``) and answers
``WAFNonexistentItemException`` for unknown web ACLs.
CloudFront
----------

Always on (``cloudfront.py``), as CloudFront does where moto 5.2.5 does not:

* A distribution reads ``Status`` ``InProgress`` for
  ``MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS`` after CreateDistribution(WithTags) and
  after every UpdateDistribution, then ``Deployed`` (GetDistribution, ListDistributions;
  moto: ``Deployed`` from the first read on, and never again ``InProgress``).
* Every UpdateDistribution gives the distribution a new ``ETag``. UpdateDistribution and
  DeleteDistribution without ``If-Match`` answer ``InvalidIfMatchVersion`` (400), with one
  that is not the current ETag ``PreconditionFailed`` (412); nothing changes.
* DeleteDistribution of a distribution that is enabled, or whose last change is still
  ``InProgress`` (a disabling not yet deployed), answers ``DistributionNotDisabled`` (409)
  "The distribution you are trying to delete has not been disabled." and deletes nothing.
* CreateDistribution with the ``CallerReference`` of an existing distribution and the same
  ``DistributionConfig`` answers that distribution (same id and ETag) and creates nothing;
  with another configuration ``DistributionAlreadyExists`` (moto: always the error).
* An S3 origin keeps its ``OriginAccessControlId`` and ``S3OriginConfig``
  (``OriginAccessIdentity``) in GetDistribution(Config) (moto drops both).
* Create and update with ``Logging`` ``Enabled`` to a bucket whose object ownership is
  ``BucketOwnerEnforced`` (ACLs off) answer ``InvalidArgument`` (400) "The S3 bucket that
  you specified for CloudFront logs does not enable ACL access: BUCKET.s3.amazonaws.com".
* CreateOriginAccessControl with the name of an existing one answers
  ``OriginAccessControlAlreadyExists`` (409). Update/DeleteOriginAccessControl check
  ``If-Match`` as above (an update issues a new ETag); an unknown id answers
  ``NoSuchOriginAccessControl`` (404; moto: HTTP 500); DeleteOriginAccessControl of one an
  existing distribution's origin names answers ``OriginAccessControlInUse`` (409).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from typing import Any

import faults
from ecs_capacity import patch_ecs_capacity
from acm_validation import patch_acm_validation
from app_security import patch_app_security
from cloudfront import patch_cloudfront
from cognito_pools import patch_cognito_pools
from ecs_deployments import patch_ecs
from ecs_tasks import patch_ecs_tasks
from elasticache_teardown import patch_elasticache_teardown
from flow_logs import patch_flow_logs
from iam_enforcement import patch_iam_enforcement
from idempotent_creates import patch_idempotent_creates
from lingering import patch_lingering
from rds_proxy import patch_rds_proxy
from s3_state import patch_s3_state
from tagging_api import patch_tagging_api
from timed_statuses import CREATE_KINDS, CreateDelays
from wafv2 import patch_wafv2

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


def parse_create_seconds(text: str) -> dict[str, float]:
    """``rds=3,elasticache=3`` -> {"rds": 3.0, "elasticache": 3.0, "nat": 0.0, "alb": 0.0}"""
    result = {kind: 0.0 for kind in CREATE_KINDS}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise SystemExit(
                f"launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: '{item}' is not KIND=SECONDS"
            )
        kind, _, value = item.partition("=")
        kind = kind.strip().lower()
        if kind not in result:
            raise SystemExit(
                f"launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: unknown kind '{kind}' "
                f"(known: {', '.join(CREATE_KINDS)})"
            )
        try:
            seconds = float(value)
        except ValueError:
            raise SystemExit(
                f"launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: '{value}' is not a number"
            ) from None
        if seconds < 0:
            raise SystemExit("launcher.py: MACROCTL_EMULATOR_CREATE_SECONDS: negative seconds")
        result[kind] = seconds
    return result


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        raise SystemExit(f"launcher.py: {name}: '{value}' is not a number") from None


class Settings:
    def __init__(self) -> None:
        self.create_seconds = parse_create_seconds(
            os.environ.get("MACROCTL_EMULATOR_CREATE_SECONDS", "")
        )
        self.ecs = env_flag("MACROCTL_EMULATOR_ECS", True)
        self.ecs_rollout_seconds = env_float("MACROCTL_EMULATOR_ECS_ROLLOUT_SECONDS", 3.0)
        pattern = os.environ.get("MACROCTL_EMULATOR_BROKEN_IMAGE", ":broken")
        try:
            self.broken_image = re.compile(pattern)
        except re.error as e:
            raise SystemExit(f"launcher.py: MACROCTL_EMULATOR_BROKEN_IMAGE: {e}") from None
        self.linger_seconds = env_float("MACROCTL_EMULATOR_LINGER_SECONDS", 0.0)
        self.waf_unavailable_seconds = env_float("MACROCTL_EMULATOR_WAF_UNAVAILABLE_SECONDS", 0.0)
        self.faults = parse_faults(os.environ.get("MACROCTL_EMULATOR_FAULTS", ""))
        self.wire_only = env_flag("MACROCTL_EMULATOR_WIRE_ONLY", False)
        self.cloudfront_deploy_seconds = env_float(
            "MACROCTL_EMULATOR_CLOUDFRONT_DEPLOY_SECONDS", 1.0
        )


def parse_faults(text: str) -> faults.FaultConfig:
    """The initial fault configuration (JSON, as POSTed to ``/_macroctl/faults``)."""
    if not text.strip():
        return faults.FaultConfig()
    try:
        return faults.parse_config_text(text, CREATE_KINDS)
    except faults.ConfigError as e:
        raise SystemExit(f"launcher.py: MACROCTL_EMULATOR_FAULTS: {e}") from None


# ---------------------------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------------------------


def apply_patches(settings: Settings) -> CreateDelays:
    if os.environ.get("INITIAL_NO_AUTH_ACTION_COUNT"):
        patch_iam_enforcement()
    if settings.wire_only:
        patch_s3_state()
        return CreateDelays(parse_create_seconds(""))
    delays = CreateDelays(settings.create_seconds)
    patch_elasticache_teardown(lambda: delays.seconds["elasticache"])
    patch_idempotent_creates()
    patch_rds_proxy(lambda: delays.seconds["rds"])
    patch_tagging_api()
    patch_s3_state()
    patch_cognito_pools()
    patch_acm_validation()
    patch_cloudfront(lambda: settings.cloudfront_deploy_seconds)
    if settings.ecs:
        patch_ecs(settings.ecs_rollout_seconds, settings.broken_image)
        patch_ecs_tasks(settings.broken_image)
    patch_ecs_capacity()
    patch_flow_logs()
    patch_wafv2(settings.waf_unavailable_seconds)
    patch_app_security()
    if settings.linger_seconds > 0:
        patch_lingering(settings.linger_seconds)
    return delays


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="Which host to bind")
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=int(os.environ.get("MOTO_PORT", 5000)),
        help="Port number to use for connection",
    )
    args = parser.parse_args(argv)

    settings = Settings()  # validate the environment before importing moto

    if "MOTO_PORT" not in os.environ:
        os.environ["MOTO_PORT"] = str(args.port)

    from werkzeug.serving import run_simple

    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    delays = apply_patches(settings)

    def exit_cleanly(signum: Any, frame: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGINT, exit_cleanly)
    signal.signal(signal.SIGTERM, exit_cleanly)

    moto_app = DomainDispatcherApplication(create_backend_app)
    moto_app.debug = True  # type: ignore[attr-defined]
    app = (
        moto_app
        if settings.wire_only
        else faults.FaultMiddleware(
            moto_app, settings.faults, create_kinds=CREATE_KINDS, on_create_seconds=delays.apply
        )
    )
    run_simple(
        args.host,
        args.port,
        app,
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
