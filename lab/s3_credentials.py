"""Run inside the lab's S3 endpoint (moto server): make an IAM user and turn
authentication on, so that the endpoint, like a real store, refuses wrong credentials.

    s3_credentials.py USER ACCESS_KEY_ID|"" [write|read]

write (the DBaaS user) may do anything in S3; read (a customer's service account, which the
off-site copy uses) may only list buckets and get objects, so a copy that tried to write to
the source would be refused.

Prints nothing when ACCESS_KEY_ID already belongs to USER; otherwise replaces the user's
keys with a new one and prints it as JSON. Moto checks signatures and the user's IAM
policy; it does not evaluate bucket policies.
"""

import json
import ssl
import sys
import urllib.request

import boto3

ENDPOINT = "https://127.0.0.1:9000"
# The lab mounts the endpoint's certificate, and the CA that signed it, at /tls.
CA = "/tls/ca.crt"
POLICIES = {
    "write": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
    # moto names a bucket's HEAD "s3:HeadBucket" where AWS checks s3:ListBucket.
    "read": {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:ListBucket", "s3:HeadBucket", "s3:ListBucketVersions", "s3:GetBucketLocation", "s3:GetObject",
                   "s3:GetObjectVersion"],
        "Resource": "*",
    }]},
}


def authentication(count: str) -> None:
    """Moto authenticates every request after `count` more ('inf': never)."""
    request = urllib.request.Request(
        ENDPOINT + "/moto-api/reset-auth", data=count.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    urllib.request.urlopen(request, timeout=10, context=ssl.create_default_context(cafile=CA)).read()


def main(user: str, wanted_key: str, access: str) -> None:
    authentication("inf")
    try:
        iam = boto3.client(
            "iam", endpoint_url=ENDPOINT, region_name="us-east-1", verify=CA,
            aws_access_key_id="lab-admin", aws_secret_access_key="lab-admin",
        )
        if user not in [known["UserName"] for known in iam.list_users()["Users"]]:
            iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="dbaas-backups-" + access, PolicyDocument=json.dumps(POLICIES[access]))
        keys = [key["AccessKeyId"] for key in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]
        if wanted_key not in keys:
            for key in keys:
                iam.delete_access_key(UserName=user, AccessKeyId=key)
            created = iam.create_access_key(UserName=user)["AccessKey"]
            print(json.dumps({"access_key": created["AccessKeyId"], "secret_key": created["SecretAccessKey"]}))
    finally:
        authentication("0")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "", sys.argv[3] if len(sys.argv) > 3 else "write")
